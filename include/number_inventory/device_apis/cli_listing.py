"""The text of ``show voip register db sbc list`` (a Mediant SBC's CLI), parsed into bindings.

What AudioCodes documents, and what is accepted:

- one address of record (AOR) per user: a line labelled ``AOR:``, ``Address Of Record:`` or
  ``Address of Record``, or a bare ``user@host`` line (a name such as ``Sue`` needs the label);
- below it, one line per contact (at most 5): ``<sip:...>`` or ``<sips:...>``, with or without a
  ``Contact:`` label, or ``Userinfo`` (a contact from the User Information table), e.g.
  ``<sip:1000@10.8.5.71:5060>;expires=180; Active status:1``; a row holding both, ``1000@10.8.5.71
  <sip:...>``, is an AOR and its contact;
- the contact's state: ``Active status:1`` (version 7.2) or no marker (Mediant 4000) is registered;
  ``Active status:0`` or ``Not-Active`` is a REGISTER not yet confirmed. ``IPG:<n>``, ``Userinfo``
  and ids are kept in the contact text and otherwise ignored;
- line breaks ``\\n``, ``\\r\\n``, ``\\r``, or, when the text has none, the ``. `` (dot, space) into
  which the documented REST example renders them;
- a "total" line (``Total: 2``, ``Total Users: 2``, ``Number of users = 2``, ``2 users``) counts the
  AORs listed and must agree with them;
- the echoed command, prompts (``SBC#``), banners and separators are ignored.

**What is a listing.** An answer is a listing when it lists at least one AOR, or says it is empty:
a total line of ``0`` or a line such as ``No registered users``. Anything else (empty text, only
banners, a CLI error such as ``Invalid command`` or ``% ...``, a contact before any AOR, a contact
cut off before its ``>``) is a failed read, never an empty one. A text cut exactly between two
lines cannot be told from a shorter listing unless the device prints a total line.

Each contact becomes one ``(aor, contact)`` binding; a ``Not-Active`` contact is handed on with
``; Active status:0`` appended, so that the one rule of :func:`numbers.contacts_active` (a contact
whose first ``status:N`` is not 1 is not active, one without any is) gives every variant its
state. Bindings are delivered in batches while the text is scanned: the text is held once, the
bindings a batch at a time. Every pattern is linear in the line, so hostile text (megabyte lines,
NUL bytes, replaced non-UTF-8 bytes) costs its length and no more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from number_inventory.device_apis.transport import Binding, DeviceReadError

#: Bindings handed on at a time.
BATCH = 20_000
#: What surrounds a line and is not part of it.
_BLANK = " \t\r\n\x00"
#: Characters of a line quoted in a message.
_QUOTE = 80
#: A bare AOR: ``user@host`` (optionally ``sip:``), one token, no prompt character.
_BARE_AOR = re.compile(r"(?:sips?:)?[^\s<>@#]+@[^\s<>@#]+")
_AOR_LABEL = re.compile(r"(?:aor|address\s+of\s+record)\b\s*[:=]?\s*", re.IGNORECASE)
_CONTACT_LABEL = re.compile(r"contact\b\s*\d*\s*[:=]?\s*", re.IGNORECASE)
_STATUS = re.compile(r"status\s*:\s*(\d+)")
_TOTAL = re.compile(
    r"(?:total(?:\s+(?:number\s+of\s+)?(?:registered\s+)?(?:sbc\s+)?(?:users|aors|records|entries))?"
    r"|(?:number\s+of\s+)?(?:registered\s+)?(?:sbc\s+)?(?:users|aors))\s*[:=]\s*(\d{1,12})\.?"
    r"|(\d{1,12})\s+(?:registered\s+)?(?:sbc\s+)?(?:users|aors|records|entries)"
    r"(?:\s+(?:found|registered|listed))?\.?"
)
_EMPTY = re.compile(
    r"no\s+(?:registered\s+)?(?:sbc\s+)?(?:users|aors|records|entries|registrations)"
    r"(?:\s+(?:found|registered|listed))?\.?"
)
_ERROR = re.compile(
    r"%|\^|error\b|invalid\b|unknown\s+command|command\s+not\s+found|syntax\s+error|incomplete\s+command"
    r"|ambiguous\s+command|not\s+allowed|failed\b|unrecognized\s+command"
)


@dataclass(frozen=True)
class Listing:
    """What one listing held: AORs listed, bindings (contacts) handed on, registered users (AORs
    with an active contact; ``None`` when not counted) and the total line's count when there is one."""

    aors: int
    bindings: int
    registered: int | None
    total: int | None
    #: Active contacts (counted with ``registered``), for the device's counter.
    active_contacts: int | None = field(default=None, compare=False)


def _quote(text: str) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", "?", text[: _QUOTE + 1])
    return repr(text[:_QUOTE] + ("..." if len(text) > _QUOTE else ""))


def lines(text: str, block: int = 1 << 20) -> Iterator[str]:
    """The lines of ``text``, whatever rendered its line breaks. The text is split a block of about
    ``block`` characters at a time, so the lines of a large listing never exist all at once."""
    if "\n" in text:
        sep = "\n"
    elif "\r" in text:
        sep = "\r"
    elif ". " in text:
        sep = ". "
    else:
        sep = "\n"
    start, size = 0, len(text)
    while start < size:
        stop = text.find(sep, min(start + block, size))
        if stop < 0:
            last = text[start:].split(sep)
            # The documented rendering ends its last line with the dot that replaced a break.
            if sep == ". " and last[-1].endswith("."):
                last[-1] = last[-1][:-1]
            yield from last
            return
        yield from text[start:stop].split(sep)
        start = stop + len(sep)
    if start == size and size and text.endswith(sep):
        yield ""


class _Parser:
    def __init__(self, command: str, on_bindings: Callable[[Sequence[Binding]], None], batch: int) -> None:
        self.command = " ".join(command.lower().split())
        self.on_bindings = on_bindings
        self.batch_size = batch
        self.batch: list[Binding] = []
        self.aor: str | None = None
        self.aor_active = False
        self.aors = self.bindings = self.registered = self.active_contacts = 0
        self.totals: set[int] = set()
        self.says_empty = False
        self.first_other: str | None = None

    def line(self, text: str) -> None:
        """Any line but the commonest (see :func:`parse`), already stripped."""
        if text[0] == "<" and text[1:5].lower() in ("sip:", "sips"):
            self.contact(text)
        elif "@" in text and _BARE_AOR.fullmatch(text):
            self.new_aor(text)
        elif (label := _AOR_LABEL.match(text)) is not None:
            self.labelled_aor(text, label.end())
        elif (label := _CONTACT_LABEL.match(text)) is not None and label.end() < len(text):
            self.contact(text[label.end() :])
        elif text[:8].lower() == "userinfo":
            self.contact(text)
        else:
            self.other(text)

    def labelled_aor(self, text: str, start: int) -> None:
        value = text[start:].split(None, 1)
        if not value or value[0].lower() == "contact":  # a table's heading: "Address of Record  Contact"
            return
        if len(value) > 1 and ("<sip" in value[1].lower() or value[1][:8].lower() == "userinfo"):
            self.new_aor(value[0])
            self.contact(value[1])
            return
        self.new_aor(value[0])

    def other(self, text: str) -> None:
        lowered = text.lower()
        at = lowered.find("<sip")
        if at > 0:  # a row "1000@10.8.5.71   <sip:...>", or a numbered contact "1. <sip:...>"
            head = text[:at].strip()
            if "@" in head and _BARE_AOR.fullmatch(head):
                self.new_aor(head)
            self.contact(text[at:])
            return
        if self.command and self.command in " ".join(lowered.split()[:16]):
            return  # the echoed command, with or without a prompt
        if (total := _TOTAL.fullmatch(lowered)) is not None:
            self.totals.add(int(total[1] or total[2]))
        elif _EMPTY.fullmatch(lowered):
            self.says_empty = True
        elif _ERROR.match(lowered):
            raise DeviceReadError(f"the CLI answered with an error: {_quote(text)}")
        elif self.first_other is None and not _is_decoration(text):
            self.first_other = text

    def new_aor(self, aor: str) -> None:
        self.aor = aor
        self.aor_active = False
        self.aors += 1

    def contact(self, contact: str) -> None:
        if self.aor is None:
            raise DeviceReadError(f"a contact before any address of record: {_quote(contact)}")
        if ">" not in contact and contact[:4].lower() == "<sip":
            raise DeviceReadError(f"a contact cut off before its '>': {_quote(contact)}")
        at = contact.find("status:")
        if (
            at >= 0
            and contact[at + 7 : at + 8] in ("0", "1")
            and not contact[at + 8 : at + 9].isdigit()
            and contact.lower().find("status") == at
        ):
            active = contact[at + 7] == "1"  # the 7.2 marker as the manual writes it
        else:
            active, contact = self.state(contact)
        self.active_contacts += active
        if active and not self.aor_active:
            self.aor_active = True
            self.registered += 1
        self.bindings += 1
        self.batch.append((self.aor, contact))
        if len(self.batch) >= self.batch_size:
            self.flush()

    @staticmethod
    def state(contact: str) -> tuple[bool, str]:
        """Whether a contact is active, and the contact to hand on (``Not-Active`` made explicit)."""
        lowered = contact.lower()
        status = _STATUS.search(lowered)
        if status is not None:
            return status[1] == "1", contact
        if "not-active" in lowered or "not active" in lowered:
            return False, contact + "; Active status:0"
        return True, contact

    def flush(self) -> None:
        if self.batch:
            self.on_bindings(self.batch)
            self.batch = []

    def finish(self, count_registered: bool) -> Listing:
        if len(self.totals) > 1:
            raise DeviceReadError(f"the listing's total lines disagree: {sorted(self.totals)}")
        total = next(iter(self.totals), None)
        if self.aors == 0 and total != 0 and not self.says_empty:
            seen = f"; it begins {_quote(self.first_other)}" if self.first_other else ""
            raise DeviceReadError(
                "the CLI's answer does not look like a registered-users listing (no address of record, "
                f"no total line of 0, no 'No registered users'){seen}"
            )
        if self.aors and self.says_empty:
            raise DeviceReadError(f"the listing says it is empty, yet lists {self.aors} users")
        if total is not None and total != self.aors:
            raise DeviceReadError(
                f"read does not add up: the listing's total line counts {total} users, "
                f"{self.aors} were listed"
            )
        self.flush()
        counted = (self.registered, self.active_contacts) if count_registered else (None, None)
        return Listing(self.aors, self.bindings, counted[0], total, counted[1])


def _is_decoration(text: str) -> bool:
    """A separator (``-----``) or a bare prompt (``SBC#``)."""
    return not any(c.isalnum() for c in text) or (len(text) < 64 and text[-1] in "#>" and " " not in text)


def parse(
    text: str,
    command: str,
    on_bindings: Callable[[Sequence[Binding]], None],
    *,
    batch: int = BATCH,
    count_registered: bool = False,
) -> Listing:
    """Parse a listing, handing its bindings to ``on_bindings`` in batches of ``batch``; a text that
    is not a complete listing raises :class:`DeviceReadError`. ``Listing.registered`` is counted
    only with ``count_registered`` (a connection test wants it; a read leaves it to the pipeline)."""
    parser = _Parser(command, on_bindings, batch)
    line, contact = parser.line, parser.contact
    bare_aor = _BARE_AOR.fullmatch
    for raw in lines(text):
        # The lines every listing is made of, recognised here at a fraction of the general rules'
        # cost; everything else, and every contact whose state needs a closer look, goes through them.
        stripped = raw.strip(_BLANK)
        head = stripped[:10]
        if head[:5] == "<sip:" or head == "Contact: <":
            uri = stripped[9:] if head[0] == "C" else stripped
            if (
                count_registered
                or parser.aor is None
                or ">" not in uri
                or "ot" in uri  # maybe "Not-Active", in any case
                or "OT" in uri
                or "Ot" in uri
                or "oT" in uri
            ):
                contact(uri)
            else:
                parser.bindings += 1
                parser.batch.append((parser.aor, uri))
                if len(parser.batch) >= batch:
                    parser.flush()
        elif (head[:5] == "AOR: " and " " not in stripped[5:] and len(stripped) > 5) or (
            "@" in head and bare_aor(stripped)
        ):
            parser.aor = stripped[5:] if head[:5] == "AOR: " else stripped
            parser.aor_active = False
            parser.aors += 1
        elif stripped:
            line(stripped)
    return parser.finish(count_registered)
