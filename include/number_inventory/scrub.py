"""The one scrubber of credentials in text the project stores, logs or shows.

A device's answer can hold the request's own credential (a refusal that echoes the request's headers),
and messages quote devices. :class:`Scrubber` removes, from any text:

- every ``Basic <token>`` / ``Bearer <token>`` value and the value of an ``Authorization`` header,
  whoever's they are, and the user and password of a URL (``scheme://user:pass@``);
- a base64 token that decodes to ``something:something`` (a Basic credential written without its
  scheme);
- when built for a connection (:meth:`Scrubber.for_credential`): ``login:password``, its base64
  (standard, URL-safe, unpadded) and URL-encoded forms, the password's base64 and URL-encoded forms,
  and the bare password, but the bare password only when it has at least :data:`MIN_BARE` characters:
  a password such as ``a`` would turn every message into ``***`` soup, and alone says nothing.

Scrubbing is idempotent, and :func:`scrub` (no credential known) is safe on any text: the view
applies it to rows stored before the scrubber existed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

#: The shortest password replaced where it stands alone.
MIN_BARE = 4
MASK = "***"

_SCHEME_VALUE = re.compile(r"(?i)\b(basic|bearer)(\s+|%20|\+)(?!\*\*\*)([A-Za-z0-9._~+/=\-]{4,})")
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
    r"(?!\*\*\*|basic\s+\*\*\*|bearer\s+\*\*\*)([^\s\"',;}]+(?:\s+(?!\*\*\*)[^\s\"',;}:]+)?)"
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@\"'<>]+@")
_BASE64_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_\-])([A-Za-z0-9+/_\-]{8,}={0,2})(?![A-Za-z0-9+/=_\-])")
_PRINTABLE_PAIR = re.compile(rb"[\x21-\x7e]+:[\x20-\x7e]*")


def _b64(text: str) -> list[str]:
    raw = text.encode()
    forms = [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    return forms + [f.rstrip("=") for f in forms]


def _looks_like_basic(token: str) -> bool:
    """A base64 token whose bytes are printable ``user:password``."""
    try:
        raw = base64.b64decode(token.replace("-", "+").replace("_", "/") + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return False
    return bool(_PRINTABLE_PAIR.fullmatch(raw))


@dataclass(frozen=True)
class Scrubber:
    """Removes credentials from text; ``forms`` are the known credential's forms, longest first."""

    forms: tuple[str, ...] = ()

    @classmethod
    def for_credential(cls, login: str | None, password: str | None, others: Iterable[str] = ()) -> Scrubber:
        """The scrubber of a connection with ``login`` and ``password``; ``others`` are more secrets
        (header values the connection sends), replaced when at least :data:`MIN_BARE` long."""
        forms: set[str] = set()
        if password:
            pair = f"{login or ''}:{password}"
            forms.update([pair, quote(pair, safe=""), quote_plus(pair), *_b64(pair)])
            if len(password) >= MIN_BARE:
                escaped = json.dumps(password)[1:-1]
                forms.update([password, quote(password, safe=""), quote_plus(password), escaped])
                forms.update(_b64(password))
        forms.update(s for s in others if isinstance(s, str) and len(s) >= MIN_BARE)
        forms.discard("")
        return cls(tuple(sorted(forms, key=len, reverse=True)))

    def __call__(self, text: str) -> str:
        """``text`` without any credential."""
        text = str(text)
        for form in self.forms:
            text = text.replace(form, MASK)
        text = _URL_USERINFO.sub(lambda m: m[1] + MASK + "@", text)
        text = _SCHEME_VALUE.sub(lambda m: m[1] + m[2] + MASK, text)
        text = _AUTH_HEADER.sub(lambda m: m[1] + MASK, text)
        return _BASE64_TOKEN.sub(lambda m: MASK if _looks_like_basic(m[1]) else m[1], text)


def scrub(text: str) -> str:
    """``text`` without any credential a scrubber can know without the connection (see module)."""
    return Scrubber()(text)
