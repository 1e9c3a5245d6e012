"""The text of ``show voip register db sbc list`` (a Mediant SBC's CLI), parsed into bindings.

An answer is accepted only when it is recognisably a whole listing: every line is one of a closed
list of kinds, every address of record comes with its contacts, nothing shows that the output was
cut short, and the counts agree. What AudioCodes documents, and what is accepted:

- one address of record (AOR) per user: a line labelled ``AOR:``, ``Address Of Record:`` or
  ``Address of Record``, or the AOR printed bare: ``user@host`` or a single token such as ``Sue``
  or ``1001`` (the manuals' AOR column holds either), which is an AOR when its contacts follow;
- below it, one line per contact (at most 5): ``<sip:...>`` or ``<sips:...>``, with or without a
  ``Contact:`` (or ``Contact 2:``, ``1.``) label, or ``Userinfo`` (a contact from the User
  Information table), e.g. ``<sip:1000@10.8.5.71:5060>;expires=180; Active status:1``; a row
  holding both, ``1000@10.8.5.71 <sip:...>``, is an AOR and its contact. An AOR with no contact is
  not a listing entry (a listing cut inside its last AOR line, or a prompt such as ``admin@sbc1``);
- the contact's state: ``Active status:1`` (version 7.2) or no marker (Mediant 4000) is registered;
  ``Active status:0`` or ``Not-Active`` is a REGISTER not yet confirmed. ``IPG:<n>``, ``Userinfo``
  and ids are kept in the contact text and otherwise ignored;
- a "total" line (``Total: 2``, ``Total Users: 2``, ``Number of users = 2``, ``2 users``) counts the
  distinct AORs listed and must agree with them; ``No registered users`` says the listing is empty;
- the echoed command (alone or after a prompt), prompts (``SBC#``, ``Mediant4000#``,
  ``admin@sbc1:~$``), the headings ``SBC Registered Users`` and ``Address of Record  Contact``, and
  separators (``-----``) are skipped. Any other line is a failed read that quotes it; so is a line
  that shows the output was cut short (``--More--``, ``Press any key``, ``Command aborted``,
  ``Connection closed by foreign host.``, ``Output truncated``), wherever it stands;
- line breaks ``\\n``, ``\\r\\n``, ``\\r``, and the ``. `` (dot, space) into which the documented REST
  example renders them, also when a line break or a prompt follows that rendering; terminal control
  sequences (ANSI colours and other CSI, OSC titles, backspaces) are removed before parsing, a
  backspace erasing the character before it.

**What is a listing.** An answer is a listing when it lists at least one AOR, or says it is empty:
a total line of ``0`` or a line such as ``No registered users``. Anything else (empty text, only
prompts, a CLI error such as ``Invalid command`` or ``% ...``, a contact before any AOR, a contact
cut off before its ``>``) is a failed read, never an empty one. A text cut exactly between two
users cannot be told from a shorter listing unless the device prints a total line, or the device's
own count of registered users is compared.

Each contact becomes one ``(aor, contact)`` binding; a ``Not-Active`` contact is handed on with
``; Active status:0`` appended, so that the one rule of :func:`numbers.contacts_active` (a contact
whose first ``status:N`` is not 1 is not active, one without any is) gives every variant its
state. An AOR listed twice is one user, and a binding listed twice counts once (the store counts
distinct bindings). Bindings are delivered in batches while the text is scanned: the text is held
once, the bindings a batch at a time, and 8 bytes per AOR (its hash, to count the AORs distinct).
Every pattern is linear in the line, so hostile text (megabyte lines, NUL bytes, replaced
non-UTF-8 bytes, endless escape sequences) costs its length and no more.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from number_inventory.device_apis.transport import Binding, DeviceReadError

#: The one command the ``mediant-cli`` adapter runs.
COMMAND = "show voip register db sbc list"
#: Bindings handed on at a time.
BATCH = 20_000
#: What surrounds a line and is not part of it.
_BLANK = " \t\r\n\x00"
#: Characters of a line quoted in a message.
_QUOTE = 80
#: How much of the text's end is searched for a sign that it was cut short, and the longest line
#: searched for one elsewhere (a longer line is none of a listing's anyway).
_TAIL = 512
_SIGN_LINE = 256
#: A bare AOR: ``user@host`` (optionally ``sip:``), one token, not ending as a prompt does.
_BARE_AOR = re.compile(r"(?:sips?:)?[^\s<>@#]+@[^\s<>@#]*[^\s<>@#$%:]")
_AOR_LABEL = re.compile(r"(?:aor|address\s+of\s+record)\b\s*[:=]?\s*", re.IGNORECASE)
_CONTACT_LABEL = re.compile(r"contact\b\s*\d*\s*[:=]?\s*", re.IGNORECASE)
#: A numbered contact: ``1. <sip:...>``.
_NUMBERED = re.compile(r"\s*\d{1,2}[.)]\s*(?=<|userinfo)", re.IGNORECASE)
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
#: The signs of an output cut short: a pager's prompt, an aborted command, a closed connection.
_CUT = re.compile(
    r"-\s*more\b|\bmore\s*-|<\s*more\s*>"
    r"|press\s+(?:any\s+key|space|enter|return)"
    r"|\b(?:aborted|truncated|interrupted)\b"
    r"|connection\s+(?:to\s+\S+\s+)?(?:was\s+)?(?:closed|reset|lost|terminated|timed\s+out)"
    r"|closed\s+by\s+(?:the\s+)?(?:foreign|remote)\s+host",
    re.IGNORECASE,
)
#: A word of every sign in :data:`_CUT`: text without any is searched no further (the pattern is slow).
_CUT_WORDS = ("more", "press", "abort", "truncat", "interrupt", "connection", "closed")
_HEADING = re.compile(
    r"(?:aor|address\s+of\s+record)(?:\s+(?:contacts?|expires|status|state|ipg|id|user))+"
    r"|(?:sbc\s+)?registered\s+(?:sbc\s+)?users(?:\s+(?:db|database|list|table))?\s*:?",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"[-=_*+|~.:\s]{3,}")
#: What may frame a heading: ``----- SBC Registered Users -----``.
_RULE = "-=_*+|~ \t"
_PROMPT = re.compile(r"[^\s#>$%<]{1,63}[#>$%]")
#: Terminal control sequences: CSI (colours, cursor moves, erasing), OSC (a title), the string
#: sequences, any other escape, the 8-bit CSI, a lone escape.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b\n]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]|[\x1b\x9b]"
)
_BACKSPACES = re.compile("\x08+")
_LINE_KINDS = "an address of record, a contact, a total, the echoed command, a heading, a separator, a prompt"


@dataclass(frozen=True)
class Listing:
    """What one listing held: distinct AORs listed, distinct bindings (contacts) handed on,
    registered users (AORs with an active contact; ``None`` when not counted) and the total line's
    count when there is one."""

    aors: int
    bindings: int
    registered: int | None
    total: int | None
    #: Active contacts (counted with ``registered``), for the device's counter.
    active_contacts: int | None = field(default=None, compare=False)


def _quote(text: str) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", "?", text[: _QUOTE + 1])
    return repr(text[:_QUOTE] + ("..." if len(text) > _QUOTE else ""))


def checked_command(command: str) -> str:
    """The command to send for the extra ``cli_command`` (its :class:`Extra` check): only
    ``show voip register db sbc list``, whatever its case and spacing. Anything else (a
    configuration command, several lines, ``;``) is a :class:`ValueError`, so the contract is refused
    before any request: the CLI script resource runs whatever it is given, with the Administrator
    rights it needs."""
    text = command.strip()
    if "\n" in text or "\r" in text or " ".join(text.lower().split()) != COMMAND:
        raise ValueError(
            f"the 'cli_command' extra may only be {COMMAND!r}, got {_quote(command)}: this adapter sends "
            "no other CLI script, since the device runs any command it is given (configuration too) with "
            "the Administrator rights the CLI script resource needs; remove the extra or set it to that command"
        )
    return COMMAND


def _cut_short(text: str, at: int) -> DeviceReadError:
    start = text.rfind("\n", 0, at) + 1
    stop = text.find("\n", at)
    line = text[start : stop if stop >= 0 else len(text)].strip(_BLANK)
    return DeviceReadError(
        f"the CLI's answer was cut short: it holds {_quote(line)} (a pager's prompt, an aborted command "
        "or a closed connection), so the listing is not whole"
    )


def _cut_sign(text: str) -> re.Match[str] | None:
    """Where ``text`` shows that the output was cut short, if it does."""
    lowered = text.lower()
    if not any(word in lowered for word in _CUT_WORDS):
        return None
    return _CUT.search(text)


def _without_controls(text: str) -> str:
    """``text`` without terminal control sequences; a backspace erases the character before it (a
    pager's prompt erased so is still a sign that the output was paged, and fails the read)."""
    if "\x1b" in text or "\x9b" in text:
        text = _CONTROL.sub("", text)
    if "\x08" in text:
        pieces, erased, start = [], [], 0
        for run in _BACKSPACES.finditer(text):
            piece = text[start : run.start()]
            keep = max(len(piece) - (run.end() - run.start()), piece.rfind("\n") + 1)
            pieces.append(piece[:keep])
            erased.append(piece[keep : keep + _SIGN_LINE])
            start = run.end()
        pieces.append(text[start:])
        text = "".join(pieces)
        gone = "\n".join(erased)
        if (cut := _cut_sign(gone)) is not None:
            raise _cut_short(gone, cut.start())
    return text


def _dot_split(line: str) -> list[str]:
    """A line in the documented REST rendering, whose line breaks became ``. ``."""
    pieces = line.split(". ")
    last = pieces[-1].rstrip(_BLANK)
    if last.endswith("."):  # the rendering ends its last line with the dot that replaced a break
        pieces[-1] = last[:-1]
    return pieces


def lines(text: str, block: int = 1 << 20) -> Iterator[str]:
    """The lines of ``text``, whatever rendered its line breaks: ``\\n``, ``\\r\\n``, ``\\r`` or, when
    the text has none, ``. ``; a line that still holds ``. `` (the rendering followed by a line break)
    is split by the parser. The text is split a block of about ``block`` characters at a time, so
    the lines of a large listing never exist all at once."""
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
            yield from (_dot_split(text[start:]) if sep == ". " else text[start:].split(sep))
            return
        yield from text[start:stop].split(sep)
        start = stop + len(sep)
    if start == size and size and text.endswith(sep):
        yield ""


class _Parser:
    def __init__(
        self,
        command: str,
        on_bindings: Callable[[Sequence[Binding]], None],
        batch: int,
        count_registered: bool,
    ) -> None:
        self.command = command.lower().split()
        self.on_bindings = on_bindings
        self.batch_size = batch
        self.batch: list[Binding] = []
        self.aor: str | None = None
        #: Bindings when the current AOR began: an AOR that adds none has no contact.
        self.mark = 0
        self.aors = self.bindings = 0
        #: The hash of each AOR listed, to count them distinct; the contacts of the current AOR (as
        #: of its second one, to hand each on once) and the batch handed on last.
        self.aor_keys = array("q")
        self.block: set[str] = set()
        self.block_mark = -1
        self.handed: list[Binding] = []
        self.registered: set[str] | None = set() if count_registered else None
        self.active_contacts = 0
        self.totals: set[int] = set()
        self.says_empty = False

    def line(self, text: str) -> None:
        """Any line but the commonest (see :func:`_scan`), already stripped; one that still holds the
        ``. `` of the documented rendering is split there first."""
        if ". " in text and not _NUMBERED.match(text):  # the documented rendering, then a line break
            for piece in _dot_split(text):
                if piece := piece.strip(_BLANK):
                    self.one_line(piece)
        else:
            self.one_line(text)

    def one_line(self, text: str) -> None:
        """One line of the closed list of kinds, or a failed read quoting it."""
        if text[0] == "<":
            self.contact(text)
        elif (label := _AOR_LABEL.match(text)) is not None:
            self.labelled_aor(text, label.end())
        elif (label := _CONTACT_LABEL.match(text)) is not None:
            self.contact(text[label.end() :], text)
        elif text[:8].lower() == "userinfo":
            self.contact(text)
        elif (number := _NUMBERED.match(text)) is not None:
            self.contact(text[number.end() :], text)
        else:
            words = text.split(None, 1)
            if len(words) == 2 and _is_contact(words[1]):  # a row: "1000@10.8.5.71   <sip:...>"
                self.new_aor(words[0])
                self.contact(words[1], text)
            else:
                self.other(text, len(words))

    def labelled_aor(self, text: str, start: int) -> None:
        if _HEADING.fullmatch(text):  # a table's heading: "Address of Record  Contact"
            self.end_aor()
            return
        value = text[start:].split(None, 1)
        if not value:
            raise DeviceReadError(f"an address of record label with no address (cut short?): {_quote(text)}")
        if len(value) == 1:
            self.new_aor(value[0])
            return
        contact = value[1]
        if (label := _CONTACT_LABEL.match(contact)) is not None:
            contact = contact[label.end() :]
        if not _is_contact(contact):
            raise _unknown(text)
        self.new_aor(value[0])
        self.contact(contact, text)

    def other(self, text: str, words: int) -> None:
        lowered = text.lower()
        if self.echoes(lowered):
            pass
        elif (total := _TOTAL.fullmatch(lowered)) is not None:
            self.totals.add(int(total[1] or total[2]))
        elif _EMPTY.fullmatch(lowered):
            self.says_empty = True
        elif len(text) <= _SIGN_LINE and (cut := _cut_sign(text)) is not None:
            raise _cut_short(text, cut.start())
        elif _ERROR.match(lowered):
            raise DeviceReadError(f"the CLI answered with an error: {_quote(text)}")
        elif _PROMPT.fullmatch(text) or _SEPARATOR.fullmatch(text) or _HEADING.fullmatch(text.strip(_RULE)):
            pass
        elif words == 1:
            self.new_aor(text)  # an AOR printed bare ("Sue", "1001"): its contacts follow
            return
        else:
            raise _unknown(text)
        self.end_aor()  # whatever comes between AORs ends the one before, which had its contacts

    def echoes(self, lowered: str) -> bool:
        """Whether the line is the echoed command, alone or after a prompt."""
        if len(lowered) > 256:
            return False
        words, size = lowered.split(), len(self.command)
        return words[-size:] == self.command and (
            len(words) == size or (len(words) == size + 1 and _PROMPT.fullmatch(words[0]) is not None)
        )

    def new_aor(self, aor: str) -> None:
        if self.aor is not None and self.bindings == self.mark:
            raise _no_contact(self.aor)
        self.aor = aor
        self.mark = self.bindings
        self.aors += 1
        self.aor_keys.append(hash(aor))
        if len(self.batch) >= self.batch_size:
            self.flush()

    def end_aor(self) -> None:
        if self.aor is not None and self.bindings == self.mark:
            raise _no_contact(self.aor)
        self.aor = None

    def contact(self, contact: str, line: str | None = None) -> None:
        if self.aor is None:
            raise DeviceReadError(f"a contact before any address of record: {_quote(line or contact)}")
        if contact[:1] == "<" and ">" not in contact:
            raise DeviceReadError(f"a contact cut off before its '>': {_quote(line or contact)}")
        if not _is_contact(contact):
            raise _unknown(line or contact)
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
        if self.bindings != self.mark:  # not the AOR's first contact: hand on each contact once
            if self.block_mark != self.mark:
                self.block_mark = self.mark
                self.block = {(self.batch or self.handed)[-1][1]}
            if contact in self.block:
                return
            self.block.add(contact)
        if active and self.registered is not None:
            self.registered.add(self.aor)
        self.active_contacts += active
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
            self.handed, self.batch = self.batch, []

    def finish(self, text: str) -> Listing:
        self.end_aor()
        tail = text[-_TAIL:]
        if (cut := _cut_sign(tail)) is not None:
            raise _cut_short(tail, cut.start())  # a sign glued to the end of a contact line
        if len(self.totals) > 1:
            raise DeviceReadError(f"the listing's total lines disagree: {sorted(self.totals)}")
        total = next(iter(self.totals), None)
        if self.aors == 0 and total != 0 and not self.says_empty:
            raise DeviceReadError(
                "the CLI's answer does not look like a registered-users listing (no address of record, "
                "no total line of 0, no 'No registered users')"
            )
        if self.aors and self.says_empty:
            raise DeviceReadError(f"the listing says it is empty, yet lists {self.aors} users")
        aors = len(set(self.aor_keys))
        if total is not None and total != aors:
            raise DeviceReadError(
                f"read does not add up: the listing's total line counts {total} users, {aors} were listed"
            )
        self.flush()
        registered = len(self.registered) if self.registered is not None else None
        active = self.active_contacts if self.registered is not None else None
        return Listing(aors, self.bindings, registered, total, active)


def _is_contact(text: str) -> bool:
    head = text[:8].lower()
    return head[:5] == "<sip:" or head[:6] == "<sips:" or head == "userinfo"


def _no_contact(aor: str) -> DeviceReadError:
    return DeviceReadError(
        f"an address of record with no contact: {_quote(aor)}; every AOR is listed with its contacts, "
        "so the answer was cut short or is not a listing"
    )


def _unknown(text: str) -> DeviceReadError:
    return DeviceReadError(
        f"the CLI's answer does not look like a registered-users listing: it holds {_quote(text)}, which is "
        f"none of a listing's lines ({_LINE_KINDS})"
    )


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
    text = _without_controls(text)
    parser = _Parser(command, on_bindings, batch, count_registered)
    _scan(text, parser, batch, count_registered)
    listing = parser.finish(text)
    if listing.aors != parser.aors:
        # An AOR listed twice may repeat a binding, which the store counts once: count them so too.
        seen: set[int] = set()
        again = _Parser(command, lambda found: seen.update(map(hash, found)), batch, False)
        _scan(text, again, batch, False)
        again.finish(text)
        listing = Listing(listing.aors, len(seen), listing.registered, listing.total)
    return listing


def _scan(text: str, parser: _Parser, size: int, count_registered: bool) -> None:
    """Every line of ``text`` through ``parser``. The lines every listing is made of are recognised
    here at a fraction of the general rules' cost, the parser's state held in local variables;
    everything else, and every contact whose state needs a closer look, goes through the parser."""
    bare_aor = _BARE_AOR.fullmatch
    aor_key = parser.aor_keys.append
    aor, mark, bindings, batch = parser.aor, parser.mark, parser.bindings, parser.batch

    def slow(method: Callable[..., None], *args: str) -> None:
        nonlocal aor, mark, bindings, batch
        parser.aor, parser.mark, parser.bindings, parser.batch = aor, mark, bindings, batch
        method(*args)
        aor, mark, bindings, batch = parser.aor, parser.mark, parser.bindings, parser.batch

    for raw in lines(text):
        stripped = raw.strip(_BLANK)
        head = stripped[:10]
        if head[:5] == "<sip:" or head == "Contact: <":
            uri = stripped[9:] if head[0] == "C" else stripped
            if ". " in uri:
                slow(parser.line, stripped)
            elif (
                count_registered
                or aor is None
                or bindings != mark  # a second contact of the AOR
                or ">" not in uri
                or "ot" in uri  # maybe "Not-Active", in any case
                or "OT" in uri
                or "Ot" in uri
                or "oT" in uri
            ):
                slow(parser.contact, uri, stripped)
            else:
                bindings += 1
                batch.append((aor, uri))
        elif (head[:5] == "AOR: " and " " not in stripped[5:] and len(stripped) > 5) or (
            "@" in stripped and bare_aor(stripped)
        ):
            if aor is not None and bindings == mark:
                raise _no_contact(aor)
            aor = stripped[5:] if head[:5] == "AOR: " else stripped
            mark = bindings
            parser.aors += 1
            aor_key(hash(aor))
            if len(batch) >= size:  # between AORs: the contacts of one never span two batches
                slow(parser.flush)
        elif stripped:
            slow(parser.line, stripped)
    parser.aor, parser.mark, parser.bindings, parser.batch = aor, mark, bindings, batch
