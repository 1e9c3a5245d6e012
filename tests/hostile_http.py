"""Small hostile HTTP servers for the transport's tests: real sockets on 127.0.0.1, no mocks.

- :class:`HostileServer` answers every request with what its ``answer`` function returns and records
  each request (method, path, headers): an "evil" host that collects the Authorization it is sent, a
  device that echoes the request's headers in a refusal, a TLS device with a self-signed certificate.
- :class:`TricklingServer` accepts connections and sends its answer's status line and headers one
  byte at a time, slowly: a device that defeats the per-read timeout before any body arrives.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    """One request a hostile server received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


Answer = Callable[[Seen], Reply]


def json_reply(status: int, payload: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(payload).encode(), dict(headers))


def empty_listing(seen: Seen) -> Reply:
    """A complete, empty answer of the SPEC's JSON list: what an evil host would say."""
    return json_reply(200, {"registeredUsers": [], "total": 0})


def echo_headers(status: int) -> Answer:
    """Answer ``status`` with the request's headers in the body, as some devices' refusals do."""

    def answer(seen: Seen) -> Reply:
        text = "\n".join(f"{name}: {value}" for name, value in seen.headers.items())
        return Reply(status, f"request refused; you sent:\n{text}".encode(), content_type="text/plain")

    return answer


class HostileServer:
    """A threading HTTP server on 127.0.0.1 (``tls``: an ``ssl.SSLContext`` to serve HTTPS)."""

    def __init__(self, answer: Answer = empty_listing, *, tls: ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                seen = Seen(self.command, self.path, dict(self.headers.items()))
                server.seen.append(seen)
                reply = server.answer(seen)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_PUT = do_POST = _any

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def authorizations(self) -> list[str]:
        return [s.headers["Authorization"] for s in self.seen if "Authorization" in s.headers]

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class TricklingServer:
    """Sends ``HTTP/1.1 200 OK`` and its headers one byte every ``seconds_per_byte``, for every
    connection, until the client goes away; counts the connections it accepted."""

    def __init__(self, seconds_per_byte: float = 0.5) -> None:
        self.seconds_per_byte = seconds_per_byte
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def _accept(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Slow-%d: %s\r\n" % (i, b"z" * 40) for i in range(1000))
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)  # the request
            for i in range(len(head)):
                if self._stop.is_set():
                    return
                conn.sendall(head[i : i + 1])
                time.sleep(self.seconds_per_byte)

    def __enter__(self) -> TricklingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(2)
        self._listener.close()


def self_signed(tmp_path, host: str = "sbc1.example.net") -> tuple[ssl.SSLContext, str]:
    """A server TLS context with a fresh self-signed certificate for ``host`` and ``127.0.0.1``, and
    the path of that certificate as a CA bundle (made with ``cryptography``; no network)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "device-cert.pem", tmp_path / "device-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, str(cert_path)
