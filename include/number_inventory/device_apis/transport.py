"""What every device API shares: one bounded, retried HTTP request, and the errors and results.

A request is retried with exponential backoff when the device is down or busy (a connection error,
a timeout, ``409``/``429``/``5xx``, an answer broken off mid-body or with a broken gzip encoding),
within ``timeout_seconds * (retries + 1)``. Each attempt is bounded by the wall clock
(``deadline_seconds``), since a device that trickles its answer a byte at a time never trips the
per-read ``timeout_seconds``, and by a size (``max_page_bytes`` or ``max_output_bytes``). Redirects
are not followed blindly: one to another host, port or to plain ``http`` fails the read (that
host's answer is not the device's), one on the same device is followed at most
:data:`MAX_REDIRECTS` times. Messages name the redacted URL and what happened, never a password.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions

if TYPE_CHECKING:
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


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` with the scheme's default port filled in; ``None`` when unparsable."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
        return scheme, (parts.hostname or "").lower(), port
    except ValueError:
        return None


def _same_device(current: str, target: str) -> bool:
    """A redirect stays on the device: the same host, port and scheme, or ``http`` to ``https`` on
    the default ports; never down to plain ``http``."""
    here, there = _origin(current), _origin(target)
    if here is None or there is None or here[1] != there[1]:
        return False
    return here == there or (here[0], here[2], there[0], there[2]) == ("http", 80, "https", 443)


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
        auth = session.auth if isinstance(session.auth, tuple) else ()
        self._secrets = [str(s) for s in auth[1:] if s]

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
            log.warning("%s: %s; retrying in %.1f s", where, problem, delay)
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
        contract, current = self.contract, self.url
        visited = {current}
        for _ in range(MAX_REDIRECTS + 1):
            stop = time.monotonic() + contract.deadline_seconds
            response = self._send(method, current, params, files, where)
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
    ) -> requests.Response:
        try:
            return self.session.request(
                method,
                url,
                params=params,
                files=files,
                timeout=self.contract.timeout_seconds,
                stream=True,
                allow_redirects=False,
            )
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, ValueError):
            raise DeviceReadError(
                f"{redact(url)}: not a usable URL; check the connection's host, port and schema"
            ) from None
        except requests.exceptions.Timeout:
            raise _Transient(f"no answer within timeout_seconds={self.contract.timeout_seconds}") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise _Transient(f"{type(exc).__name__}: the device could not be reached") from None

    def _redirect_target(
        self, response: requests.Response, current: str, where: str, visited: set[str]
    ) -> str:
        status, location = response.status_code, response.headers.get("Location")
        if not location:
            raise DeviceReadError(f"{where}: the device answered HTTP {status} without a Location")
        target = urljoin(response.url or current, location)
        if not _same_device(current, target):
            raise DeviceReadError(
                f"{where}: the device answered HTTP {status} redirecting to {redact(target)}; "
                "redirects to another host are not followed: check the connection's host, port and schema"
            )
        if target in visited:
            raise DeviceReadError(
                f"{where}: redirect loop: the device answered HTTP {status} back to {redact(target)}"
            )
        visited.add(target)
        log.info("%s: HTTP %s to %s on the same device; following it", where, status, redact(target))
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
        except ValueError:
            data = None
        if isinstance(data, dict):
            for key in ("description", "error", "message"):
                if isinstance(data.get(key), str):
                    text = data[key]
                    break
        text = re.sub(r"[\x00-\x1f\x7f\s]+", " ", text).strip()
        for secret in self._secrets:
            text = text.replace(secret, "***")
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
        raw, body = response.raw, bytearray()
        try:
            while True:
                if time.monotonic() > stop:
                    raise _Transient(
                        f"the answer took longer than deadline_seconds={self.contract.deadline_seconds} "
                        f"({len(body):,} bytes received): the device sends too slowly"
                    )
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
