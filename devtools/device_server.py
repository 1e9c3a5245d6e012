"""A small AudioCodes-like device server for tests, benchmarks and the demo.

It serves the same registrations through the three device APIs the pipeline reads
(HTTP Basic auth on every endpoint):

``json`` (the SPEC's contract), at ``path``::

    GET {base}/api/v1/registeredUsers?offset=0&limit=1000
    200 {"registeredUsers": [{"addressOfRecord": "1000@10.8.5.71",
                              "contact": "<sip:1000@10.8.5.71:5060>;expires=180; Active status:1"}, ...],
         "total": 2345}

``cursor`` (a Mediant REST collection), at ``path`` instead when ``paging="cursor"``::

    GET {base}/api/v1/registeredUsers?limit=1000[&after=<cursor.after>]
    200 {"items": [...], "cursor": {"start": "0", "before": "-1", "after": "999", "end": "999"}}
    204 No Content      (nothing (more) to list)

``mediant-cli`` (a Mediant SBC's CLI script through its REST API), always at ``cli_path``::

    PUT {base}/api/v1/files/cliScript/incremental    multipart/form-data, part "file" = the commands
    200 {"description": "Incremental CLI Script file was loaded.", "output": "<CLI text>"}
    400 a script that is not ``show voip register db sbc list``     409 busy (an injected fault)

The device's own counter of registered users (a KPI of the Mediant REST API, readable by a
*Monitor* account), at ``KPI_PATH`` and, among other KPIs, at its scope ``KPI_SCOPE_PATH``::

    GET {base}/api/v1/kpi/current/sbc/otherStats/global/registeredUsers
    200 {"id": "registeredUsers", "value": "120"}
    GET {base}/api/v1/kpi/current/sbc/otherStats/global
    200 {"items": [{"id": "...", "value": "..."}, {"id": "registeredUsers", "value": "120"}]}

It counts the AORs with an active contact; :meth:`DeviceServer.set_counter` chooses a text or a
number value and keys with stray spaces, and the faults ``wrong_counter`` / ``missing_counter`` make
it lie or vanish (:meth:`DeviceServer.counter_reads` tells how often it was read).

The CLI text comes in the two documented styles (:meth:`DeviceServer.set_cli_listing`): ``7.2``
(``AOR: 1000@10.8.5.71`` then ``Contact: <sip:...>;expires=180; Active status:1``) and ``4000``
(a bare ``1000@10.8.5.71`` line, contacts without a marker when registered, ``Not-Active`` when not,
with ``IPG:1`` and an id), with ``\n``, ``\r\n`` or the documented ``. `` line breaks and an
optional ``Total: N`` line.

There is one item per binding (an AOR with three contacts gives three items); ``status:1`` is a
registered contact and ``status:0`` a REGISTER that was received but not confirmed. Like a real
device it caps ``limit`` at its own page size, so clients must page by what they received.

The registrations and a set of injectable faults are driven either in-process through
:class:`DeviceServer` or over HTTP through the ``/_control/...`` endpoints, so the server can also
run as a separate process::

    DEVICE_PASSWORD=secret python -m devtools.device_server --port 8081 --numbers 1000-1999
    python -m devtools.device_server --api mediant-cli --cli-style 4000 --numbers 1000-1999

Only the standard library is used; nothing here imports Airflow or pandas.

**Pages and faults.** Faults are keyed by the page index ``k`` within a *read*. A request with
``offset=0`` (json) or without ``after`` (cursor) starts a new read; page ``k`` is the ``k``-th
distinct offset or cursor requested since then (0-based), so a retry of the same page is the same
page again. Every CLI script request is page 0 of its own read. The numbering is shared by all
clients of one server: faults assume one reader at a time.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hmac
import json
import os
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: The host part of generated AORs and contacts.
DEFAULT_HOST = "10.8.5.71"
DEFAULT_PATH = "/api/v1/registeredUsers"
#: ``limit`` when a request does not give one.
DEFAULT_LIMIT = 100
#: Body returned by :meth:`DeviceServer.not_json_page`.
NOT_JSON_BODY = b"<html>oops</html>"
CONTROL_PREFIX = "/_control"
#: Largest request body accepted (a control ``PUT`` of a million bindings is about 80 MB).
MAX_BODY_BYTES = 256 * 1024 * 1024
#: Where a Mediant SBC's REST API takes CLI scripts, and the one command this device knows.
CLI_PATH = "/api/v1/files/cliScript/incremental"
CLI_COMMAND = "show voip register db sbc list"
CLI_LOADED = "Incremental CLI Script file was loaded."
#: The listing styles of the manuals: version 7.2 (``Active status:N``) and Mediant 4000 (no marker
#: when registered, ``Not-Active`` when not, ``IPG:`` and an id).
CLI_STYLES = ("7.2", "4000")
#: How line breaks of the CLI output are rendered; ``dot`` is the documented REST example's ``. ``.
LINE_BREAKS = {"lf": "\n", "crlf": "\r\n", "dot": ". "}
#: What the listing endpoint at ``path`` speaks: the SPEC's offset list or a cursor collection.
PAGINGS = ("offset", "cursor")
#: The device's counter of registered users (a KPI), and the scope that lists it among others.
KPI_PATH = "/api/v1/kpi/current/sbc/otherStats/global/registeredUsers"
KPI_SCOPE_PATH = "/api/v1/kpi/current/sbc/otherStats/global"
KPI_ID = "registeredUsers"
_STATUS = re.compile(r"status\s*:\s*(\d+)", re.IGNORECASE)
#: The prompt the CLI text echoes, per style.
_PROMPTS = {"7.2": "SBC#", "4000": "Mediant4000#"}

Binding = tuple[str, str]


def _full_aor(aor: str) -> str:
    """``aor`` with ``@10.8.5.71`` appended when it has no host part."""
    aor = str(aor)
    return aor if "@" in aor else f"{aor}@{DEFAULT_HOST}"


def contact_for(aor: str, index: int = 0, status: int = 1) -> str:
    """The contact of the ``index``-th binding of ``aor``, as :meth:`DeviceServer.register` makes it."""
    user = str(aor).split("@", 1)[0]
    return f"<sip:{user}@{DEFAULT_HOST}:{5060 + index}>;expires=180; Active status:{status}"


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _known_script(script: str) -> bool:
    """Whether every command line of an uploaded script is the one ``show`` this device knows."""
    commands = [" ".join(line.lower().split()) for line in script.splitlines() if line.strip()]
    return bool(commands) and all(command == CLI_COMMAND for command in commands)


def _contact_4000(contact: str, ident: int) -> str:
    """A 7.2-style contact as a Mediant 4000 manual shows it: no marker when registered,
    ``Not-Active`` when not, then its IP Group and id."""
    base, marker, status = contact.partition("; Active status:")
    state = "; Not-Active" if marker and status.strip() != "1" else ""
    return f"{base}{state}; IPG:1; id:{ident}"


def _contact_active(contact: str) -> bool:
    """The pipeline's rule of activeness: the first ``status:N`` decides (1 is active); a contact
    without one is active unless it says ``Not-Active``."""
    status = _STATUS.search(contact)
    if status is not None:
        return status[1] == "1"
    lowered = contact.lower()
    return "not-active" not in lowered and "not active" not in lowered


def render_cli_listing(
    bindings: Sequence[Binding],
    *,
    style: str = "7.2",
    line_break: str = "lf",
    total_line: bool = False,
    aor_label: str | None = None,
) -> str:
    """The text ``show voip register db sbc list`` prints for ``bindings``, in a manual's style:
    the echoed command, one AOR line per user and one line per contact, an optional total line
    counting the users, and the prompt; an empty table says ``No registered users``."""
    label = aor_label if aor_label is not None else ("AOR:" if style == "7.2" else "")
    prompt = _PROMPTS[style]
    users: dict[str, list[str]] = {}
    for aor, contact in bindings:
        users.setdefault(aor, []).append(contact)
    lines = [f"{prompt} {CLI_COMMAND}"]
    if style == "4000":
        lines += ["SBC Registered Users", "-" * 40]
    ident = 0
    for aor, contacts in users.items():
        lines.append(f"{label} {aor}" if label else aor)
        for contact in contacts:
            ident += 1
            lines.append(f"  Contact: {contact}" if style == "7.2" else f"  {_contact_4000(contact, ident)}")
    if total_line:
        lines.append(f"{'Total' if style == '7.2' else 'Total Users'}: {len(users)}")
    elif not users:
        lines.append("No registered users")
    lines.append(prompt)
    return LINE_BREAKS[line_break].join(lines)


@dataclass
class _Fault:
    """One injected fault: its arguments and how many more times it fires (``None`` = always)."""

    times: int | None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Reply:
    """One answer to a listing request, and how to (mis)deliver it."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds between single bytes of the body (a trickling device), or ``None``.
    trickle: float | None = None
    #: Close the connection after half the body (a connection dropped mid-answer).
    drop: bool = False


class _RequestError(Exception):
    """Ends a request with an HTTP error and a JSON ``{"error": ...}`` body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"page index k must be a non-negative integer, got {k!r}")
    return k


def _check_times(times: int | None) -> int | None:
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"times must be a positive integer or None (always), got {times!r}")
    return times


def _check_status(status: int) -> int:
    if isinstance(status, bool) or not isinstance(status, int):
        raise ValueError(f"status must be an integer (1 registered, 0 not confirmed), got {status!r}")
    return status


def _check_positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class DeviceServer:
    """An in-process AudioCodes-like HTTP server holding a list of (AOR, contact) bindings.

    Use it as a context manager (or call :meth:`start` / :meth:`stop`); :attr:`url` is the base URL
    to which clients append ``path``. All methods are thread-safe.
    """

    def __init__(
        self,
        username: str = "admin",
        password: str = "secret",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_page_size: int = 500,
        path: str = DEFAULT_PATH,
        verbose: bool = False,
        paging: str = "offset",
        cli_path: str = CLI_PATH,
    ) -> None:
        _check_positive("max_page_size", max_page_size)
        for name, value in (("path", path), ("cli_path", cli_path)):
            if not value.startswith("/"):
                raise ValueError(f"{name} must start with '/', got {value!r}")
        if paging not in PAGINGS:
            raise ValueError(f"paging must be one of {PAGINGS}, got {paging!r}")
        self.paging = paging
        self.cli_path = cli_path.rstrip("/") or "/"
        self._cli: dict[str, Any] = {
            "style": "7.2",
            "line_break": "lf",
            "total_line": False,
            "aor_label": None,
        }
        self.username = username
        self._password = password
        self.host = host
        self.max_page_size = max_page_size
        self.path = path.rstrip("/") or "/"
        self.verbose = verbose
        self._requested_port = port
        self._lock = threading.Lock()
        self._bindings: list[Binding] = []
        self._aor_counts: dict[str, int] = {}
        self._faults: dict[str, dict[int, _Fault]] = {}
        self._read_pages: dict[int, int] = {}
        self._requests_served = 0
        self._counter_format = {"as_number": False, "stray_spaces": False}
        self._counter_reads = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    def __repr__(self) -> str:
        where = self.url if self._httpd is not None else "not started"
        return f"DeviceServer({where}, bindings={len(self._bindings)}, user={self.username!r})"

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        """The TCP port the server listens on (valid after :meth:`start`)."""
        if self._httpd is None:
            raise RuntimeError("DeviceServer is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL without the endpoint path, e.g. ``http://127.0.0.1:8081`` (valid after :meth:`start`).

        A server bound to all interfaces (``0.0.0.0``) is reached through ``127.0.0.1``.
        """
        return f"http://{self._client_host}:{self.port}"

    @property
    def _client_host(self) -> str:
        return "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host

    def start(self) -> DeviceServer:
        """Bind the socket and serve in a daemon thread; returns ``self``."""
        if self._httpd is not None:
            raise RuntimeError("DeviceServer is already started")
        httpd = _HTTPServer((self.host, self._requested_port), _Handler)
        httpd.device = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.5}, name="device-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and release the port (idempotent)."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        # shutdown() returns only at serve_forever's next poll; connecting wakes its selector at once.
        stopper = threading.Thread(target=httpd.shutdown, daemon=True)
        stopper.start()
        wake_address = (self._client_host, self.port)
        deadline = time.monotonic() + 5
        while stopper.is_alive() and time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(wake_address, timeout=0.5):
                pass
            stopper.join(0.01)
        stopper.join()
        httpd.server_close()
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> DeviceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ registrations

    @property
    def bindings(self) -> list[Binding]:
        """A copy of all (AOR, contact) bindings in serving order."""
        with self._lock:
            return list(self._bindings)

    @property
    def requests_served(self) -> int:
        """How many ``registeredUsers`` requests were answered, whatever their status."""
        with self._lock:
            return self._requests_served

    def set_bindings(self, bindings: Iterable[tuple[str, str]]) -> None:
        """Replace all bindings by the given (AOR, contact) pairs, kept in the given order."""
        new: list[Binding] = []
        counts: dict[str, int] = {}
        for pair in bindings:
            if isinstance(pair, (str, bytes)) or len(pair) != 2:
                raise ValueError(f"a binding must be an (aor, contact) pair, got {pair!r}")
            aor, contact = pair
            if not isinstance(aor, str) or not isinstance(contact, str):
                raise ValueError(f"aor and contact must be strings, got {pair!r}")
            new.append((aor, contact))
            counts[aor] = counts.get(aor, 0) + 1
        with self._lock:
            self._bindings = new
            self._aor_counts = counts

    def register(self, aor: str, *, contacts: int = 1, status: int = 1) -> None:
        """Add ``contacts`` bindings for ``aor`` (``1000`` means ``1000@10.8.5.71``) with ``status``."""
        if isinstance(contacts, bool) or not isinstance(contacts, int) or contacts < 0:
            raise ValueError(f"contacts must be a non-negative integer, got {contacts!r}")
        _check_status(status)
        aor = _full_aor(aor)
        with self._lock:
            self._add_locked(aor, contacts, status)

    def _add_locked(self, aor: str, contacts: int, status: int) -> None:
        have = self._aor_counts.get(aor, 0)
        self._bindings.extend((aor, contact_for(aor, have + i, status)) for i in range(contacts))
        self._aor_counts[aor] = have + contacts

    def unregister(self, aor: str) -> None:
        """Remove every binding of ``aor`` (same short form as :meth:`register`); unknown AORs are ignored."""
        aor = _full_aor(aor)
        with self._lock:
            if self._aor_counts.pop(aor, 0):
                self._bindings = [b for b in self._bindings if b[0] != aor]

    def register_numbers(self, numbers: Iterable[str | int], *, status: int = 1) -> None:
        """Register one binding for each number, as ``register(str(n), status=status)`` would."""
        _check_status(status)
        aors = [_full_aor(str(n)) for n in numbers]
        with self._lock:
            counts = self._aor_counts
            if counts or len(set(aors)) != len(aors):
                for aor in aors:
                    self._add_locked(aor, 1, status)
                return
            # Fast path for a bulk load into an empty server (a million numbers in well under a second).
            self._bindings.extend((aor, contact_for(aor, 0, status)) for aor in aors)
            counts.update(dict.fromkeys(aors, 1))

    def clear(self) -> None:
        """Remove all bindings."""
        with self._lock:
            self._bindings = []
            self._aor_counts = {}

    # ------------------------------------------------------------------ faults

    def _set_fault(self, kind: str, k: int, times: int | None, **args: Any) -> None:
        fault = _Fault(_check_times(times), args)
        with self._lock:
            self._faults.setdefault(kind, {})[_check_k(k)] = fault

    def fail_page(self, k: int, status: int = 500, *, times: int | None = 1) -> None:
        """Answer page ``k`` with HTTP ``status`` and a JSON error, ``times`` times (``None`` = always)."""
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), got {status!r}")
        self._set_fault("fail_page", k, times, status=status)

    def not_json_page(self, k: int, *, times: int | None = None) -> None:
        """Answer page ``k`` with ``200`` and the HTML body ``<html>oops</html>``."""
        self._set_fault("not_json_page", k, times)

    def drop_items(self, k: int, count: int = 1, *, times: int | None = None) -> None:
        """Silently leave ``count`` items out of the middle of page ``k``; ``total`` stays the same."""
        self._set_fault("drop_items", k, times, count=_check_positive("count", count))

    def slow_page(self, k: int, seconds: float, *, times: int | None = None) -> None:
        """Sleep ``seconds`` before answering page ``k``."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
        self._set_fault("slow_page", k, times, seconds=float(seconds))

    def change_total_during_read(self, k: int, add: int = 1, *, times: int | None = 1) -> None:
        """When page ``k`` is served, first append ``add`` registered bindings of new numbers.

        The new numbers follow the largest numeric user part present, so ``total`` grows in the
        middle of a read and the new items appear at the end of the list.
        """
        self._set_fault("change_total_during_read", k, times, add=_check_positive("add", add))

    def reject_script(self, *, times: int | None = None) -> None:
        """Answer the CLI script with ``400`` (a wrong script), ``times`` times (``None`` = always)."""
        self._set_fault("reject_script", 0, times)

    def busy(self, *, times: int | None = 1) -> None:
        """Answer the CLI script with ``409`` (busy, e.g. syncing with its redundant unit)."""
        self._set_fault("busy", 0, times)

    def replace_output(self, text: str, *, times: int | None = None) -> None:
        """Answer the CLI script with ``200`` and ``text`` as its output (an error, a banner, ...)."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, got {text!r}")
        # Encoded once: a benchmark serves a listing of a million bindings this way.
        body = _json_bytes({"description": CLI_LOADED, "output": text})
        self._set_fault("replace_output", 0, times, text=text, body=body)

    def cut_output(self, at: float = 0.5, *, times: int | None = None) -> None:
        """Cut the CLI output inside the contact nearest after the fraction ``at`` of its length; the
        JSON around it stays whole (a device that stopped writing mid-listing)."""
        if isinstance(at, bool) or not isinstance(at, (int, float)) or not 0 <= at < 1:
            raise ValueError(f"at must be a fraction from 0 to below 1, got {at!r}")
        self._set_fault("cut_output", 0, times, at=float(at))

    def malformed_page(self, k: int, *, times: int | None = None) -> None:
        """Answer page ``k`` with ``200`` and a JSON object whose items are not a list."""
        self._set_fault("malformed_page", k, times)

    def cursor_loop(self, k: int, *, backwards: bool = False, times: int | None = None) -> None:
        """On cursor page ``k`` (>= 1), answer with the cursor it was asked for (a repeat) or, with
        ``backwards``, one before it."""
        if _check_k(k) < 1:
            raise ValueError("cursor_loop needs k >= 1: the first page has no cursor to repeat")
        self._set_fault("cursor_loop", k, times, backwards=bool(backwards))

    def trickle_page(self, k: int, seconds_per_byte: float = 1.0, *, times: int | None = None) -> None:
        """Send page ``k``'s headers at once, then its body one byte every ``seconds_per_byte``."""
        if isinstance(seconds_per_byte, bool) or not isinstance(seconds_per_byte, (int, float)):
            raise ValueError(f"seconds_per_byte must be a number, got {seconds_per_byte!r}")
        self._set_fault("trickle_page", k, times, seconds=float(seconds_per_byte))

    def drop_connection(self, k: int, *, times: int | None = 1) -> None:
        """Close the connection after half of page ``k``'s body (the client sees an incomplete read)."""
        self._set_fault("drop_connection", k, times)

    def broken_gzip(self, k: int, *, times: int | None = 1) -> None:
        """Answer page ``k`` with ``Content-Encoding: gzip`` and a body that is not gzip."""
        self._set_fault("broken_gzip", k, times)

    def redirect_page(self, k: int, location: str, *, status: int = 302, times: int | None = None) -> None:
        """Answer page ``k`` with a redirect to ``location`` (another host, or this same URL: a loop)."""
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"status must be a redirect (301, 302, 303, 307, 308), got {status!r}")
        if not isinstance(location, str) or not location:
            raise ValueError(f"location must be a URL, got {location!r}")
        self._set_fault("redirect_page", k, times, location=location, status=status)

    def set_cli_listing(
        self,
        *,
        style: str | None = None,
        line_break: str | None = None,
        total_line: bool | None = None,
        aor_label: str | None = None,
    ) -> None:
        """How the CLI text looks: ``style`` ``7.2`` or ``4000``, ``line_break`` ``lf``, ``crlf`` or
        ``dot``, a ``Total: N`` line or not, and the AOR label (``AOR:``, ``Address Of Record:``,
        ``""`` for a bare line; by default ``AOR:`` in 7.2 and bare in 4000)."""
        if style is not None and style not in CLI_STYLES:
            raise ValueError(f"style must be one of {CLI_STYLES}, got {style!r}")
        if line_break is not None and line_break not in LINE_BREAKS:
            raise ValueError(f"line_break must be one of {tuple(LINE_BREAKS)}, got {line_break!r}")
        if aor_label is not None and not isinstance(aor_label, str):
            raise ValueError(f"aor_label must be a string, got {aor_label!r}")
        with self._lock:
            for key, value in (("style", style), ("line_break", line_break), ("total_line", total_line)):
                if value is not None:
                    self._cli[key] = bool(value) if key == "total_line" else value
            if aor_label is not None:
                self._cli["aor_label"] = aor_label

    def cli_text(self) -> str:
        """The CLI's output for ``show voip register db sbc list`` as the listing style renders it."""
        with self._lock:
            bindings, options = list(self._bindings), dict(self._cli)
        return render_cli_listing(bindings, **options)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self._faults = {}

    #: Fault methods reachable through ``POST /_control/faults``.
    FAULT_METHODS = (
        "fail_page",
        "not_json_page",
        "drop_items",
        "slow_page",
        "change_total_during_read",
        "reject_script",
        "busy",
        "replace_output",
        "cut_output",
        "malformed_page",
        "cursor_loop",
        "trickle_page",
        "drop_connection",
        "broken_gzip",
        "redirect_page",
        "wrong_counter",
        "missing_counter",
        "empty_page",
    )

    # ------------------------------------------------------------------ the device's counter

    def registered_users(self) -> int:
        """What the device's counter says by default: the AORs with at least one active contact (a
        contact whose first ``status:N`` is 1, or that has none and does not say ``Not-Active``)."""
        with self._lock:
            return self._registered_locked()

    def _registered_locked(self) -> int:
        return len({aor for aor, contact in self._bindings if _contact_active(contact)})

    @property
    def counter_reads(self) -> int:
        """How many times the counter (either path) was asked for, whatever it answered."""
        with self._lock:
            return self._counter_reads

    def set_counter(self, *, as_number: bool | None = None, stray_spaces: bool | None = None) -> None:
        """How the counter answers: its value as a JSON number instead of text (``"120"``, the
        documented example), and keys with stray spaces (``" value"``, ``"id "``) as AudioCodes' own
        examples carry them."""
        with self._lock:
            for key, value in (("as_number", as_number), ("stray_spaces", stray_spaces)):
                if value is not None:
                    self._counter_format[key] = bool(value)

    def wrong_counter(self, value: int | None = None, *, offset: int = 0, times: int | None = None) -> None:
        """Make the counter say ``value`` (or the right count plus ``offset``), ``times`` times: with
        ``times=1`` the read before a listing sees it and the read after sees the right count."""
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"value must be a non-negative integer, got {value!r}")
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise ValueError(f"offset must be an integer, got {offset!r}")
        self._set_fault("wrong_counter", 0, times, value=value, offset=offset)

    def missing_counter(self, status: int = 404, *, times: int | None = None) -> None:
        """Answer the counter with HTTP ``status`` (404: a device or version without the KPI)."""
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), got {status!r}")
        self._set_fault("missing_counter", 0, times, status=status)

    def empty_page(self, k: int, *, status: int = 204, times: int | None = None) -> None:
        """Answer cursor page ``k`` with ``204 No Content`` or, with ``status=200``, a page without
        items whose cursor says it is the last (a device that stops in the middle of a walk)."""
        if status not in (200, 204):
            raise ValueError(f"status must be 200 or 204, got {status!r}")
        self._set_fault("empty_page", k, times, status=status)

    def _counter_reply(self, scope: bool) -> _Reply:
        """The counter's answer (at the KPI itself, or among its scope's items), faults applied."""
        with self._lock:
            self._counter_reads += 1
            missing = self._take_fault_locked("missing_counter", 0)
            if missing is not None:
                status = missing.args["status"]
                return _Reply(
                    status, _json_bytes({"error": f"injected fault: the counter answers HTTP {status}"})
                )
            count = self._registered_locked()
            wrong = self._take_fault_locked("wrong_counter", 0)
            if wrong is not None:
                count = (
                    wrong.args["value"] if wrong.args["value"] is not None else count + wrong.args["offset"]
                )
            as_number, stray = self._counter_format["as_number"], self._counter_format["stray_spaces"]
        id_key, value_key = ("id ", " value") if stray else ("id", "value")

        def kpi(ident: str, value: int) -> dict[str, Any]:
            return {id_key: ident, value_key: value if as_number else str(value)}

        if scope:
            # Another KPI first: a reader must pick the counter by its id.
            return _Reply(200, _json_bytes({"items": [kpi("numOfSbcCalls", 0), kpi(KPI_ID, count)]}))
        return _Reply(200, _json_bytes(kpi(KPI_ID, count)))

    # ------------------------------------------------------------------ serving

    def _take_fault_locked(self, kind: str, k: int) -> _Fault | None:
        """The fault of ``kind`` on page ``k`` if it fires now (using up one of its ``times``)."""
        faults = self._faults.get(kind)
        fault = faults.get(k) if faults else None
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                del faults[k]
        return fault

    def _page_index_locked(self, offset: int) -> int:
        if offset == 0:
            self._read_pages = {}
        k = self._read_pages.get(offset)
        if k is None:
            k = len(self._read_pages)
            self._read_pages[offset] = k
        return k

    def _grow_locked(self, add: int) -> None:
        top = 0
        for aor in self._aor_counts:
            user = aor.split("@", 1)[0]
            if user.isdigit():
                top = max(top, int(user))
        for n in range(top + 1, top + 1 + add):
            self._add_locked(_full_aor(str(n)), 1, 1)

    def _serve(self, k: int, answer: Any) -> _Reply:
        """Page ``k`` of any listing endpoint: the faults every endpoint shares, else ``answer()``
        (called with the lock held)."""
        with self._lock:
            slow = self._take_fault_locked("slow_page", k)
        if slow is not None:
            time.sleep(slow.args["seconds"])
        with self._lock:
            reply = self._fault_reply_locked(k) or answer()
            trickle = self._take_fault_locked("trickle_page", k)
            if trickle is not None:
                reply.trickle = trickle.args["seconds"]
            if self._take_fault_locked("drop_connection", k) is not None:
                reply.drop = True
            if self._take_fault_locked("broken_gzip", k) is not None:
                reply.body = b"this body is not gzip at all " * 8
                reply.headers["Content-Encoding"] = "gzip"
        return reply

    def _fault_reply_locked(self, k: int) -> _Reply | None:
        failed = self._take_fault_locked("fail_page", k)
        if failed is not None:
            status = failed.args["status"]
            return _Reply(status, _json_bytes({"error": f"injected fault: HTTP {status} on page {k}"}))
        redirect = self._take_fault_locked("redirect_page", k)
        if redirect is not None:
            return _Reply(redirect.args["status"], b"", headers={"Location": redirect.args["location"]})
        if self._take_fault_locked("not_json_page", k) is not None:
            return _Reply(200, NOT_JSON_BODY, "text/html")
        if self._take_fault_locked("malformed_page", k) is not None:
            return _Reply(200, _json_bytes({"registeredUsers": "oops", "items": "oops", "total": 0}))
        return None

    def _offset_page(self, offset: int, limit: int) -> _Reply:
        """One page of the SPEC's offset list, faults applied."""
        limit = min(limit, self.max_page_size)
        with self._lock:
            k = self._page_index_locked(offset)

        def answer() -> _Reply:
            grow = self._take_fault_locked("change_total_during_read", k)
            if grow is not None:
                self._grow_locked(grow.args["add"])
            page = self._dropped_locked(k, self._bindings[offset : offset + limit])
            items = [{"addressOfRecord": aor, "contact": contact} for aor, contact in page]
            return _Reply(200, _json_bytes({"registeredUsers": items, "total": len(self._bindings)}))

        return self._serve(k, answer)

    def _dropped_locked(self, k: int, page: list[Binding]) -> list[Binding]:
        drop = self._take_fault_locked("drop_items", k)
        if drop is not None and page:
            count = min(drop.args["count"], len(page))
            start = (len(page) - count) // 2
            del page[start : start + count]
        return page

    def _cursor_page(self, after: int | None, limit: int) -> _Reply:
        """One page of the cursor collection: the items after position ``after``, faults applied;
        ``204`` when there is nothing (more)."""
        limit = min(limit, self.max_page_size)
        start = 0 if after is None else after + 1
        with self._lock:
            k = self._page_index_locked(start)

        def answer() -> _Reply:
            grow = self._take_fault_locked("change_total_during_read", k)
            if grow is not None:
                self._grow_locked(grow.args["add"])
            total = len(self._bindings)
            page = self._bindings[start : start + limit]
            emptied = self._take_fault_locked("empty_page", k)
            if emptied is not None and emptied.args["status"] == 204:
                return _Reply(204, b"")
            if emptied is not None:
                cursor = {"start": str(start), "before": str(start - 1), "after": "-1", "end": str(start)}
                return _Reply(200, _json_bytes({"items": [], "cursor": cursor}))
            if not page:
                return _Reply(204, b"")
            end = start + len(page) - 1
            next_after = str(end) if end + 1 < total else "-1"
            loop = self._take_fault_locked("cursor_loop", k)
            if loop is not None and after is not None:
                next_after = str(after - 1 if loop.args["backwards"] else after)
            page = self._dropped_locked(k, page)
            items = [{"addressOfRecord": aor, "contact": contact} for aor, contact in page]
            cursor = {
                "start": str(start),
                "before": str(start - 1) if start else "-1",
                "after": next_after,
                "end": str(end),
            }
            return _Reply(200, _json_bytes({"items": items, "cursor": cursor}))

        return self._serve(k, answer)

    def _cli_script(self, script: str) -> _Reply:
        """The answer to a CLI script upload; every upload is page 0 of its own read."""
        with self._lock:
            k = self._page_index_locked(0)

        def answer() -> _Reply:
            if self._take_fault_locked("busy", k) is not None:
                description = "The device is busy (synchronizing with its redundant unit); try again later"
                return _Reply(409, _json_bytes({"description": description}))
            rejected = self._take_fault_locked("reject_script", k) is not None
            if rejected or not _known_script(script):
                description = "Incremental CLI Script file was not loaded: line 1: Invalid command"
                return _Reply(400, _json_bytes({"description": description}))
            replaced = self._take_fault_locked("replace_output", k)
            cut = self._take_fault_locked("cut_output", k)
            if replaced is not None and cut is None:
                return _Reply(200, replaced.args["body"])
            if replaced is not None:
                output = replaced.args["text"]
            else:
                output = render_cli_listing(self._bindings, **self._cli)
            if cut is not None:
                at = int(len(output) * cut.args["at"])
                contact = output.find("<sip", at)
                output = output[: contact + 8 if contact >= 0 else at]
            return _Reply(200, _json_bytes({"description": CLI_LOADED, "output": output}))

        return self._serve(k, answer)

    def _count_request(self) -> None:
        with self._lock:
            self._requests_served += 1

    def _check_auth(self, header: str | None) -> bool:
        if not header or header[:6].lower() != "basic ":
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(b":")
        ok_user = hmac.compare_digest(user, self.username.encode())
        ok_password = hmac.compare_digest(password, self._password.encode())
        return bool(sep) and ok_user and ok_password

    # ------------------------------------------------------------------ control API

    def _control(self, method: str, name: str, body: Any) -> dict[str, Any]:
        """Run one ``/_control/<name>`` request; returns the JSON answer."""
        routes = {
            "bindings": ("PUT", "DELETE"),
            "register": ("POST",),
            "unregister": ("POST",),
            "faults": ("POST", "DELETE"),
            "listing": ("PUT",),
            "counter": ("PUT",),
            "state": ("GET",),
        }
        if name not in routes:
            raise _RequestError(404, "not found")
        if method not in routes[name]:
            raise _RequestError(405, "method not allowed", {"Allow": ", ".join(routes[name])})
        if method in ("PUT", "POST") and not isinstance(body, dict):
            raise _RequestError(400, "the request body must be a JSON object")
        try:
            if name == "bindings" and method == "DELETE":
                self.clear()
            elif name == "bindings":
                self._control_bindings(body)
            elif name == "register":
                aor = body.get("aor")
                if not isinstance(aor, str):
                    raise ValueError("'aor' must be a string")
                self.register(aor, contacts=body.get("contacts", 1), status=body.get("status", 1))
            elif name == "unregister":
                aor = body.get("aor")
                if not isinstance(aor, str):
                    raise ValueError("'aor' must be a string")
                self.unregister(aor)
            elif name == "faults" and method == "DELETE":
                self.clear_faults()
            elif name == "faults":
                self._control_faults(body)
            elif name == "listing":
                self._control_listing(body)
            elif name == "counter":
                self.set_counter(**body)
        except (TypeError, ValueError) as exc:
            raise _RequestError(400, str(exc)) from None
        with self._lock:
            answer = {"bindings": len(self._bindings), "requests_served": self._requests_served}
            if name == "listing":
                answer.update(paging=self.paging, cli_listing=dict(self._cli))
            return answer

    def _control_listing(self, body: dict[str, Any]) -> None:
        """``PUT /_control/listing``: ``paging`` (offset, cursor) and the CLI listing's options."""
        options = dict(body)
        paging = options.pop("paging", None)
        if paging is not None and paging not in PAGINGS:
            raise ValueError(f"paging must be one of {PAGINGS}, got {paging!r}")
        self.set_cli_listing(**options)
        if paging is not None:
            self.paging = paging

    def _control_bindings(self, body: dict[str, Any]) -> None:
        if "bindings" in body:
            pairs = body["bindings"]
            if not isinstance(pairs, list):
                raise ValueError("'bindings' must be a list of [aor, contact] pairs")
            self.set_bindings(tuple(p) if isinstance(p, list) else p for p in pairs)
        elif "numbers" in body:
            numbers = body["numbers"]
            if not isinstance(numbers, list) or not all(
                isinstance(n, (str, int)) and not isinstance(n, bool) for n in numbers
            ):
                raise ValueError("'numbers' must be a list of strings or integers")
            status = _check_status(body.get("status", 1))
            with self._lock:
                self._bindings = []
                self._aor_counts = {}
                for n in numbers:
                    self._add_locked(_full_aor(str(n)), 1, status)
        else:
            raise ValueError("the body needs 'bindings' or 'numbers'")

    def _control_faults(self, body: dict[str, Any]) -> None:
        unknown = sorted(set(body) - set(self.FAULT_METHODS))
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {list(self.FAULT_METHODS)}")
        for kind, args in body.items():
            if not isinstance(args, dict):
                raise ValueError(f"the arguments of {kind!r} must be a JSON object")
            getattr(self, kind)(**args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    device: DeviceServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client goes away mid-answer (a timed-out read); report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError) and not self.device.verbose:
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AudioCodesSim/1.0"
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 120
    # Headers and body leave in one segment (flushed by handle_one_request) and without Nagle's delay;
    # otherwise every keep-alive request waits ~40 ms for a delayed ACK.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        device = self.server.device
        with device._lock:
            device._connections.add(self.connection)

    def finish(self) -> None:
        device = self.server.device
        with device._lock:
            device._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.device.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _send_reply(self, reply: _Reply) -> None:
        """Send a listing answer, trickled or broken off when a fault says so."""
        if reply.trickle is None and not reply.drop:
            self._send(reply.status, reply.body, reply.content_type, reply.headers)
            return
        self.close_connection = True
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        if reply.drop:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        for i in range(len(reply.body)):
            time.sleep(reply.trickle)
            try:
                self.wfile.write(reply.body[i : i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up: what the fault is for
                return

    def _script(self, body: bytes) -> str:
        """The text of the multipart part named ``file``."""
        content_type = self.headers.get("Content-Type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise _RequestError(400, "the CLI script must be sent as multipart/form-data")
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        for part in message.iter_parts() if message.is_multipart() else ():
            if part.get_param("name", header="content-disposition") == "file":
                payload = part.get_payload(decode=True) or b""
                return payload.decode("utf-8", "replace")
        raise _RequestError(400, "the upload has no part named 'file'")

    def _cursor(self) -> tuple[int | None, int]:
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        limit = self._int_param(query, "limit", DEFAULT_LIMIT, minimum=1)
        if not query.get("after"):
            return None, limit
        return self._int_param(query, "after", 0, minimum=0), limit

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise _RequestError(411, "chunked bodies are not supported; send Content-Length")
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise _RequestError(400, "bad Content-Length") from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise _RequestError(413, "request body too large")
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        device = self.server.device
        path = urlsplit(self.path).path.rstrip("/") or "/"
        is_list, is_cli = path == device.path, path == device.cli_path
        is_users = is_list or is_cli
        try:
            body = self._read_body()
            if not device._check_auth(self.headers.get("Authorization")):
                raise _RequestError(401, "unauthorized", {"WWW-Authenticate": 'Basic realm="AudioCodes"'})
            if is_users:
                allowed = "PUT" if is_cli else "GET"
                if self.command != allowed:
                    raise _RequestError(405, "method not allowed", {"Allow": allowed})
                if is_cli:
                    reply = device._cli_script(self._script(body))
                elif device.paging == "cursor":
                    reply = device._cursor_page(*self._cursor())
                else:
                    reply = device._offset_page(*self._paging())
                device._count_request()
                self._send_reply(reply)
            elif path in (KPI_PATH, KPI_SCOPE_PATH):
                if self.command != "GET":
                    raise _RequestError(405, "method not allowed", {"Allow": "GET"})
                self._send_reply(device._counter_reply(path == KPI_SCOPE_PATH))
            elif path.startswith(CONTROL_PREFIX + "/"):
                name = path[len(CONTROL_PREFIX) + 1 :].rstrip("/")
                self._send_json(200, device._control(self.command, name, self._json(body)))
            else:
                raise _RequestError(404, "not found")
        except _RequestError as exc:
            if is_users:
                device._count_request()
            self._send_json(exc.status, {"error": exc.message}, exc.headers)

    @staticmethod
    def _json(body: bytes) -> Any:
        if not body:
            return None
        try:
            return json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _RequestError(400, "the request body is not JSON") from None

    def _paging(self) -> tuple[int, int]:
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        offset = self._int_param(query, "offset", 0, minimum=0)
        limit = self._int_param(query, "limit", DEFAULT_LIMIT, minimum=1)
        return offset, limit

    @staticmethod
    def _int_param(query: dict[str, list[str]], name: str, default: int, *, minimum: int) -> int:
        values = query.get(name)
        if not values:
            return default
        text = values[-1].strip()
        if not text.isascii() or not text.isdigit() or int(text) < minimum:
            kind = "a non-negative" if minimum == 0 else "a positive"
            raise _RequestError(400, f"{name} must be {kind} integer")
        return int(text)


# ---------------------------------------------------------------------- command line


def parse_numbers(spec: str) -> list[str]:
    """Expand ``1000-1999`` or ``1000,1005,2000-2009`` into numbers; leading ``+`` and zeros are kept."""
    numbers: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        plus = "+" if part.startswith("+") else ""
        body = part[len(plus) :]
        first, sep, last = body.partition("-")
        last = last.removeprefix("+")
        if not first.isdigit() or (sep and not last.isdigit()):
            raise ValueError(f"bad number or range {part!r}; use A-B or a comma list")
        if not sep:
            numbers.append(plus + first)
            continue
        lo, hi = int(first), int(last)
        if hi < lo:
            raise ValueError(f"bad range {part!r}: the end is before the start")
        width = len(first) if first.startswith("0") else 0
        numbers.extend(f"{plus}{n:0{width}d}" for n in range(lo, hi + 1))
    return numbers


def load_bindings_file(path: str) -> tuple[list[Binding] | None, list[str] | None, int]:
    """Read a bindings file: ``{"bindings": [[aor, contact], ...]}``, ``{"numbers": [...], "status": 1}``
    or a bare list of pairs. Returns (bindings, numbers, status)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if isinstance(data, list):
        data = {"bindings": data}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object or a list of [aor, contact] pairs")
    if "bindings" in data:
        return [(str(a), str(c)) for a, c in data["bindings"]], None, 1
    if "numbers" in data:
        return None, [str(n) for n in data["numbers"]], int(data.get("status", 1))
    raise ValueError(f"{path}: expected a 'bindings' or 'numbers' key")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.device_server",
        description="Serve an AudioCodes-like registeredUsers endpoint until SIGTERM/SIGINT.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--username", default=os.environ.get("DEVICE_USERNAME", "admin"))
    parser.add_argument(
        "--password",
        default=None,
        help="defaults to $DEVICE_PASSWORD, else 'secret' (prefer the variable: it stays out of ps)",
    )
    parser.add_argument("--max-page-size", type=int, default=500)
    parser.add_argument("--path", default=DEFAULT_PATH, help="where the listing (offset or cursor) is served")
    parser.add_argument(
        "--api",
        choices=("json", "cursor", "mediant-cli"),
        default="json",
        help="the API a connection reads: cursor serves --path as a cursor collection; the CLI script "
        "endpoint is always served",
    )
    parser.add_argument("--cli-path", default=CLI_PATH)
    parser.add_argument("--cli-style", choices=CLI_STYLES, default="7.2")
    parser.add_argument("--cli-line-break", choices=tuple(LINE_BREAKS), default="lf")
    parser.add_argument("--cli-total-line", action="store_true", help="end the CLI listing with 'Total: N'")
    _counter_arguments(parser)
    parser.add_argument("--numbers", help="register numbers: a range A-B or a comma list (ranges allowed)")
    parser.add_argument("--bindings-file", help="JSON file with bindings or numbers, loaded before --numbers")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def _counter_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of the device's counter of registered users (served at KPI_PATH and its scope)."""
    group = parser.add_argument_group("the counter of registered users (" + KPI_PATH + ")")
    group.add_argument(
        "--counter-as-number", action="store_true", help="its value as a JSON number, not text"
    )
    group.add_argument(
        "--counter-stray-spaces", action="store_true", help="keys with stray spaces (' value')"
    )
    wrong = group.add_mutually_exclusive_group()
    wrong.add_argument("--counter-value", type=int, help="always say this count (a wrong counter)")
    wrong.add_argument("--counter-offset", type=int, help="say the right count plus this (a wrong counter)")
    wrong.add_argument("--no-counter", action="store_true", help="answer the counter with 404 (no such KPI)")


def _apply_counter_arguments(server: DeviceServer, args: argparse.Namespace) -> None:
    server.set_counter(as_number=args.counter_as_number, stray_spaces=args.counter_stray_spaces)
    if args.counter_value is not None or args.counter_offset is not None:
        server.wrong_counter(args.counter_value, offset=args.counter_offset or 0)
    if args.no_counter:
        server.missing_counter()


def wait_for_signal() -> None:
    """Block until SIGTERM or SIGINT arrives (call from the main thread)."""
    stopping = threading.Event()

    def _handler(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    while not stopping.wait(0.5):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server from the command line; returns the exit code."""
    args = _parse_args(argv)
    password = args.password if args.password is not None else os.environ.get("DEVICE_PASSWORD", "secret")
    try:
        server = DeviceServer(
            args.username,
            password,
            host=args.host,
            port=args.port,
            max_page_size=args.max_page_size,
            path=args.path,
            verbose=args.verbose,
            paging="cursor" if args.api == "cursor" else "offset",
            cli_path=args.cli_path,
        )
        server.set_cli_listing(
            style=args.cli_style, line_break=args.cli_line_break, total_line=args.cli_total_line
        )
        _apply_counter_arguments(server, args)
        if args.bindings_file:
            bindings, numbers, status = load_bindings_file(args.bindings_file)
            if bindings is not None:
                server.set_bindings(bindings)
            if numbers is not None:
                server.register_numbers(numbers, status=status)
        if args.numbers:
            server.register_numbers(parse_numbers(args.numbers))
    except (OSError, ValueError) as exc:
        print(f"device server: {exc}", file=sys.stderr)
        return 2
    try:
        server.start()
    except OSError as exc:
        print(f"device server: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"device server listening on http://{args.host}:{server.port}", flush=True)
        wait_for_signal()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
