"""What every device API shares: one bounded, retried HTTP request, and the errors and results.

A request is retried with exponential backoff when the device is down or busy (a connection error,
a timeout, ``409``/``429``/``5xx``, an answer broken off mid-body or with a broken gzip encoding),
within ``timeout_seconds * (retries + 1)``. Each attempt is bounded by the wall clock
(``deadline_seconds``), since a device that trickles its answer a byte at a time never trips the
per-read ``timeout_seconds``, and by a size (``max_page_bytes`` or ``max_output_bytes``). The
deadline bounds the whole attempt, status line and headers included: each read waits at most the
time left, and a watchdog shuts the connection down when the deadline passes (a device that trickles
its headers a byte a second never trips a per-read timeout).

Redirects are not followed blindly, and the credential never leaves the device: a Location is judged
by urllib3's parser, the one that sends the request; one that Python's ``urlsplit`` reads otherwise
(``http://evil\\@device/``), or that holds a backslash, a control character, a space or a user, is
refused; one to another host, port or to plain ``http`` fails the read (that host's answer is not the
device's); one on the same device is followed at most :data:`MAX_REDIRECTS` times. Every request is
prepared first and sent only when the prepared URL's origin is the device's, so the Authorization
header goes nowhere else; requests' own redirect handling is off.

TLS: the connection's ``verify`` (``false`` or a CA bundle's path) is passed with every request, so
``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` in the worker's environment apply only when the
connection leaves ``verify`` at its default; a certificate that fails verification fails the read at
once, naming the host and the fix. Messages name the redacted URL and what happened, never a
credential (:mod:`number_inventory.scrub`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from number_inventory.scrub import Scrubber

# requests and urllib3 are imported where a request is made: Airflow imports the provider's form (the
# device APIs' declarations) whenever it starts, and parsing the DAGs must not load an HTTP client.
if TYPE_CHECKING:
    import requests

    from number_inventory.device_apis.contract import Contract


log = logging.getLogger(__name__)

Binding = tuple[str, str]
#: Statuses that mean "try again later": busy (409, e.g. syncing with its redundant unit), rate
#: limited, or down.
RETRY_STATUS = frozenset({409, 429, 500, 502, 503, 504})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
#: Redirects on the device itself followed per request.
MAX_REDIRECTS = 5
#: How much of a refusal's body is read, and how much of its text goes into the message.
_EXCERPT_BYTES = 4096
_EXCERPT_CHARS = 200
_CHUNK = 1 << 20
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: What no Location of a device's redirect may hold: a backslash (parsers disagree on it), control
#: characters and white space.
_UNSAFE_LOCATION = re.compile(r"[\\\x00-\x20\x7f]")


class DeviceReadError(RuntimeError):
    """A read that cannot be completed. ``retryable`` tells whether trying later may help (a device
    that is down) or not (a wrong password, a wrong path, a malformed answer)."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        #: The HTTP status the device refused the request with, when that is what failed.
        self.status = status


@dataclass(frozen=True)
class ReadResult:
    """What a complete read received: ``total`` is the number of bindings the listing holds (the
    announced total of a ``json`` device, else the bindings received), ``pages`` the requests."""

    total: int
    items: int
    pages: int
    restarts: int


@dataclass(frozen=True)
class ProbeResult:
    """What a first look at a device saw: the bindings read, the registered users among them (AORs
    with an active contact) and the device's total of bindings when it announces one."""

    api: str
    bindings: int
    registered: int
    total: int | None
    whole_listing: bool
    #: The device's own counter of registered users (``count_check``), when it was read.
    counter: int | None = None

    def describe(self) -> str:
        """One line for a person, e.g. ``mediant-cli: 1,234 registered users (1,240 bindings) in the
        listing; the device counts 1,234 registered users``."""
        counted = "" if self.counter is None else f"; the device counts {self.counter:,} registered users"
        seen = f"{self.registered:,} registered users ({self.bindings:,} bindings)"
        if self.whole_listing:
            return f"{self.api}: {seen} in the listing{counted}"
        if self.total is not None:
            return (
                f"{self.api}: the device lists {self.total:,} bindings; its first page held {seen}{counted}"
            )
        return f"{self.api}: the first page held {seen}; the collection has more{counted}"


def registered_users(page: Sequence[Binding]) -> int:
    """Distinct AORs with an active contact, by the pipeline's one rule of activeness."""
    from number_inventory.numbers import contacts_active  # pandas: only when probing

    active = contacts_active([contact for _, contact in page])
    return len({aor for (aor, _), on in zip(page, active, strict=True) if on})


def redact(url: str) -> str:
    """``url`` without any user or password in it, for messages. Never raises: a URL that does not
    parse (a port such as ``99999`` or ``abc``) keeps its host and port text as written."""
    try:
        parts = urlsplit(str(url))
        netloc = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except Exception:  # a message must come out whatever the URL holds
        return "<a URL that does not parse>"


Origin = tuple[str, str, int | None]


def _origin(url: str) -> Origin | None:
    """``(scheme, host, port)`` as urllib3 reads ``url`` (it is urllib3 that connects), with the
    scheme's default port filled in; ``None`` when unparsable."""
    import urllib3.exceptions
    import urllib3.util

    try:
        parts = urllib3.util.parse_url(url)
    except (urllib3.exceptions.LocationParseError, ValueError):
        return None
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.host or "").strip("[]").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def _split_origin(url: str) -> Origin | None:
    """The same as Python's ``urlsplit`` reads it, to refuse a URL the two parsers read differently."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None


def _same_device(current: str, target: str) -> bool:
    """A redirect stays on the device: the same host, port and scheme, or ``http`` to ``https`` on
    the default ports; never down to plain ``http``."""
    here, there = _origin(current), _origin(target)
    if here is None or there is None or not here[1] or here[1] != there[1]:
        return False
    return here == there or (here[0], here[2], there[0], there[2]) == ("http", 80, "https", 443)


_watching = threading.local()


class _Watchdog:
    """Bounds one attempt by the wall clock: when ``seconds`` have passed, shuts down the socket of
    every connection the attempt took from the pool, so that a read blocked on a device that
    trickles its status line or headers returns at once. ``fired`` says that it did."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def watch(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)
            if self.fired:
                _shut(connection)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for connection in self._connections:
                _shut(connection)

    def __enter__(self) -> _Watchdog:
        _watching.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _watching.watchdog = None


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            # The plain socket's shutdown, also under TLS: the reading thread owns the TLS state.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch_pool(pool: Any) -> None:
    """Make ``pool`` hand each connection it gives out to the running attempt's watchdog."""
    if getattr(pool, "_number_inventory_watched", False):
        return
    take = getattr(pool, "_get_conn", None)
    if take is None:  # another urllib3: the deadline still bounds the body, read by read
        log.debug("cannot watch the connections of %r; the deadline bounds the body only", pool)
        return

    def get_conn(*args: Any, **kwargs: Any) -> Any:
        connection = take(*args, **kwargs)
        watchdog = getattr(_watching, "watchdog", None)
        if watchdog is not None:
            watchdog.watch(connection)
        return connection

    pool._get_conn = get_conn
    pool._number_inventory_watched = True


def _certificate_problem(exc: BaseException) -> str | None:
    """Why a certificate failed verification (``self-signed certificate``, ``Hostname mismatch``...),
    or ``None`` for another TLS failure."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" not in text and "certificate verify failed" not in text:
        return None
    found = re.search(r"certificate verify failed: (.+?)\s*\(_ssl", text)
    return found[1].strip() if found else "the certificate is not trusted"


@dataclass(frozen=True)
class Answer:
    """A successful answer: its status (``200``, ``204``, ...) and its whole body."""

    status: int
    body: bytes | bytearray


class _Transient(Exception):
    """An attempt that failed in a way that trying again may mend."""


class Transport:
    """One device's HTTP access, as every adapter uses it: ``session`` carries the connection's
    Basic auth and TLS settings; ``url`` is the base URL with the contract's ``path``."""

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        contract: Contract,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.contract = contract
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + contract.path
        self.sleep = sleep
        auth = session.auth
        login, password = (
            auth[:2]
            if isinstance(auth, tuple) and len(auth) >= 2
            else (getattr(auth, "username", None), getattr(auth, "password", None))
        )
        #: Removes the connection's credential, and any other, from what the device said.
        self.scrub = Scrubber.for_credential(
            None if login is None else str(login), None if password is None else str(password)
        )
        here = _origin(self.url)
        #: Where a request may go: the device, and its https on the default port when it is http on 80.
        self._origins = {here} if here else set()
        if here and here[0] == "http" and here[2] == 80:
            self._origins.add(("https", here[1], 443))

    def at(self, path: str) -> Transport:
        """The same device's transport for another of its resources (its counter, say)."""
        return Transport(self.session, self.base_url, self.contract.replace(path=path), sleep=self.sleep)

    @property
    def where(self) -> str:
        """The redacted URL, to start messages with."""
        return redact(self.url)

    def request(
        self,
        method: str,
        *,
        where: str,
        max_bytes: int,
        bound: str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        refusals: Mapping[int, str] | None = None,
    ) -> Answer:
        """Send one request, retried while the problem may pass, and return its answer.

        ``bound`` names the setting behind ``max_bytes`` for the message; ``refusals`` words a
        status the API gives a meaning (``400`` for a bad CLI script), quoted with the device's text.
        """
        contract = self.contract
        window = time.monotonic() + contract.timeout_seconds * (contract.retries + 1)
        for attempt in range(contract.retries + 1):
            try:
                return self._attempt(method, where, max_bytes, bound, params, files, refusals or {})
            except _Transient as exc:
                problem = str(exc)
            if attempt == contract.retries or time.monotonic() >= window:
                raise DeviceReadError(
                    f"{where}: {problem}, still failing after {attempt + 1} attempts", retryable=True
                )
            delay = contract.backoff_seconds * 2**attempt
            log.warning("%s", self.scrub(f"{where}: {problem}; retrying in {delay:.1f} s"))
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        method: str,
        where: str,
        max_bytes: int,
        bound: str,
        params: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None,
        refusals: Mapping[int, str],
    ) -> Answer:
        # One wall-clock deadline for the whole attempt, its redirects, status lines and headers included.
        stop = time.monotonic() + self.contract.deadline_seconds
        with _Watchdog(self.contract.deadline_seconds) as watchdog:
            try:
                answer = self._follow(method, where, max_bytes, bound, params, files, refusals, stop)
            except _Transient:
                if watchdog.fired:
                    raise _Transient(self._too_slow()) from None
                raise
            if watchdog.fired:  # the answer may have been cut where the watchdog shut the connection
                raise _Transient(self._too_slow())
            return answer

    def _too_slow(self, received: int | None = None) -> str:
        got = "the status line and headers" if received is None else f"{received:,} bytes"
        return (
            f"the answer took longer than deadline_seconds={self.contract.deadline_seconds} "
            f"({got} received): the device sends too slowly"
        )

    def _follow(
        self,
        method: str,
        where: str,
        max_bytes: int,
        bound: str,
        params: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None,
        refusals: Mapping[int, str],
        stop: float,
    ) -> Answer:
        current = self.url
        visited = {current}
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, current, params, files, where, stop)
            with response:
                status = response.status_code
                if status in REDIRECT_STATUS:
                    current = self._redirect_target(response, current, where, visited)
                    params = None  # the Location holds the whole URL
                    continue
                if status in RETRY_STATUS:
                    raise _Transient(f"HTTP {status}" + (" (the device is busy)" if status == 409 else ""))
                if not 200 <= status < 300:
                    self._refuse(response, where, stop, refusals)
                return Answer(status, self._body(response, stop, max_bytes, bound, where))
        raise DeviceReadError(
            f"{where}: more than {MAX_REDIRECTS} redirects on the device; check the connection's host "
            "and 'path' extra"
        )

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None,
        where: str,
        stop: float,
    ) -> requests.Response:
        """Prepare the request, check that it goes to the device, and send it with the connection's
        TLS settings, bounded by what is left of the deadline."""
        import requests.adapters
        import requests.cookies
        import requests.utils

        left = stop - time.monotonic()
        if left <= 0:
            raise _Transient(self._too_slow())
        session = self.session
        try:
            prepared = session.prepare_request(requests.Request(method, url, params=params, files=files))
            if _origin(prepared.url or "") not in self._origins:
                raise DeviceReadError(
                    f"{where}: the request would go to {redact(prepared.url or url)}, not to the device "
                    f"{redact(self.url)}; nothing was sent (the connection's credential goes nowhere else)"
                )
            proxies = requests.utils.resolve_proxies(prepared, session.proxies, session.trust_env)
            verify = self._verify()
            adapter = session.get_adapter(prepared.url)
            if isinstance(adapter, requests.adapters.HTTPAdapter):
                pool = adapter.get_connection_with_tls_context(
                    prepared, verify, proxies=proxies, cert=session.cert
                )
                _watch_pool(pool)
            timeout = min(self.contract.timeout_seconds, left)
            # The adapter itself, not Session.send: with redirects off, Session.send still reads a
            # redirect's whole body (unbounded) to work out where it would lead.
            response = adapter.send(
                prepared,
                stream=True,
                timeout=(timeout, timeout),
                verify=verify,  # explicit: the environment's CA bundle never overrides the connection's
                cert=session.cert,
                proxies=proxies,
            )
            requests.cookies.extract_cookies_to_jar(session.cookies, prepared, response.raw)
            return response
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, ValueError):
            raise DeviceReadError(
                f"{redact(url)}: not a usable URL; check the connection's host, port and schema"
            ) from None
        except requests.exceptions.SSLError as exc:
            problem = _certificate_problem(exc)
            if problem is None:
                raise _Transient(f"the TLS handshake failed ({type(exc).__name__})") from None
            host = (_origin(url) or ("", "?", None))[1]
            raise DeviceReadError(
                f"{where}: certificate verify failed for {host} ({problem}): set `verify` to the CA "
                f"bundle's path (the CA that signed the device's certificate), or to false on a trusted "
                f"network only{self._bundle_note()}"
            ) from None
        except requests.exceptions.Timeout:
            raise _Transient(f"no answer within timeout_seconds={self.contract.timeout_seconds}") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise _Transient(f"{type(exc).__name__}: the device could not be reached") from None
        except OSError as exc:  # requests' check of the CA bundle's path
            if isinstance(exc, requests.exceptions.RequestException):
                raise
            raise DeviceReadError(
                f"{where}: the connection's TLS settings cannot be used ({exc}); check its `verify` "
                "(true, false or a CA bundle's path) and `cert` extras"
            ) from None

    def _verify(self) -> bool | str:
        """The connection's ``verify``; only when it is left at ``true`` does the worker's
        ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` apply, as requests applies it."""
        verify = self.session.verify
        if verify is True and self.session.trust_env:
            return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        return verify

    def _bundle_note(self) -> str:
        if self.session.verify is not True or not self.session.trust_env:
            return ""
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            if os.environ.get(name):
                return (
                    f" (the connection sets no `verify`, so the worker's {name}={os.environ[name]} was used)"
                )
        return ""

    def _redirect_target(
        self, response: requests.Response, current: str, where: str, visited: set[str]
    ) -> str:
        import urllib3.exceptions
        import urllib3.util

        status, location = response.status_code, response.headers.get("Location")
        if not location:
            raise DeviceReadError(f"{where}: the device answered HTTP {status} without a Location")
        if _UNSAFE_LOCATION.search(location):
            raise DeviceReadError(
                f"{where}: the device answered HTTP {status} with a Location holding a backslash, a control "
                "character or a space; such a redirect is not followed (URL parsers read it differently)"
            )
        target = urljoin(response.url or current, location)
        sent_to, read_as = _origin(target), _split_origin(target)
        if sent_to is None or sent_to != read_as:
            raise DeviceReadError(
                f"{where}: the device answered HTTP {status} redirecting to a Location that URL parsers read "
                "differently; it is not followed"
            )
        if not _same_device(current, target):
            raise DeviceReadError(
                f"{where}: the device answered HTTP {status} redirecting to {redact(target)}; "
                "redirects to another host are not followed: check the connection's host, port and schema"
            )
        if "@" in urlsplit(target).netloc or urllib3.util.parse_url(target).auth:
            raise DeviceReadError(
                f"{where}: the device answered HTTP {status} redirecting to a URL with a user in it "
                f"({redact(target)}); it is not followed"
            )
        if target in visited:
            raise DeviceReadError(
                f"{where}: redirect loop: the device answered HTTP {status} back to {redact(target)}"
            )
        visited.add(target)
        log.info(
            "%s", self.scrub(f"{where}: HTTP {status} to {redact(target)} on the same device; following it")
        )
        return target

    def _refuse(
        self, response: requests.Response, where: str, stop: float, refusals: Mapping[int, str]
    ) -> None:
        status = response.status_code
        if status == 401:
            raise DeviceReadError(
                f"{where}: HTTP 401: the device refused the login; check the connection's login and password"
            )
        if status == 403:
            raise DeviceReadError(f"{where}: HTTP 403: the connection's user may not read registered users")
        if status == 404:
            raise DeviceReadError(
                f"{where}: HTTP 404: no such endpoint; check the connection's host and 'path' extra"
            )
        meaning = f": {refusals[status]}" if status in refusals else ""
        text = self._excerpt(response, stop)
        said = f"; the device said: {text}" if text else ""
        raise DeviceReadError(
            f"{where}: HTTP {status}{meaning}{said}", retryable=status >= 500, status=status
        )

    def _excerpt(self, response: requests.Response, stop: float) -> str:
        """The start of a refusal's text (its ``description``/``error``/``message`` when JSON),
        cleaned of control characters, shortened, and without the connection's password."""
        try:
            body = self._body(response, stop, _EXCERPT_BYTES, "", "", cut=True)
        except (DeviceReadError, _Transient):
            return ""
        text = body.decode("utf-8", "replace")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            for key in ("description", "error", "message"):
                if isinstance(data.get(key), str):
                    text = data[key]
                    break
        text = self.scrub(re.sub(r"[\x00-\x1f\x7f\s]+", " ", text).strip())
        return text[:_EXCERPT_CHARS] + ("..." if len(text) > _EXCERPT_CHARS else "")

    def _body(
        self,
        response: requests.Response,
        stop: float,
        max_bytes: int,
        bound: str,
        where: str,
        *,
        cut: bool = False,
    ) -> bytearray:
        """The whole body, read as it arrives so that the deadline is checked after every read;
        ``cut`` returns the first ``max_bytes`` instead of failing beyond them."""
        import urllib3.exceptions
        import urllib3.util

        raw, body = response.raw, bytearray()
        try:
            while True:
                if time.monotonic() > stop:
                    raise _Transient(self._too_slow(len(body)))
                chunk = raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    return body
                body += chunk
                if len(body) > max_bytes:
                    if cut:
                        return body[:max_bytes]
                    raise DeviceReadError(
                        f"{where}: the answer is larger than {bound}={max_bytes:,} bytes; it was cut "
                        "there, so the read is not complete"
                    )
        except urllib3.exceptions.DecodeError:
            raise _Transient(
                "the answer's content encoding (gzip/deflate) is broken (ContentDecodingError)"
            ) from None
        except urllib3.exceptions.ReadTimeoutError:
            raise _Transient(
                f"the answer stalled for timeout_seconds={self.contract.timeout_seconds} "
                f"after {len(body):,} bytes"
            ) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError, OSError) as exc:
            raise _Transient(
                f"the connection broke off in the middle of the answer after {len(body):,} bytes "
                f"({type(exc).__name__}: a dropped connection, ChunkedEncodingError or IncompleteRead)"
            ) from None
