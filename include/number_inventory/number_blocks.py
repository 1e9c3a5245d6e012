"""Blocks of numbers: a range or list added to a tenant's inventory, Available numbers removed from it,
a CSV imported — the forms of the block actions of ``number_inventory_action``, checked. No I/O.

An operator provisions numbers by the block (``+4930123000`` to ``+4930123999``, a carrier's list, a
spreadsheet) rather than one by one, so these actions take up to ``MAX_BLOCK`` numbers and are
written in bulk (``store.blocks``): staged with COPY, checked and written by set-based statements in
one transaction, each number with one history row saying who and why.

- ``add_numbers``: a range (``first`` and ``last``, or ``first`` and ``count``) or a list of
  ``numbers``, added as ``Available`` with an optional ``site`` and ``label``. A number already in the
  inventory is never overwritten: the run is refused, naming them, and adds nothing.
- ``remove_numbers``: the ``Available`` numbers of a range or list are deleted. A number in any other
  state (Used, Cooling, Reserved, Used-Utility), or that a device registers, refuses the run;
  numbers not in the inventory are already where the action leads and are left alone.
- ``import_numbers``: a CSV (text, or a file on the worker) with a header and the columns
  ``number`` (required), ``status``, ``site``, ``label``: new numbers are added as ``Available`` or
  ``Reserved`` (the states an operator hands numbers over in; the others belong to the devices and
  the cooling rules); a number already in the inventory is left alone and reported, so importing a
  file again changes nothing more. A line that cannot be imported refuses the run.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from number_inventory import numbers as nums
from number_inventory import tenants
from number_inventory.action_form import BLOCK_ACTIONS, MAX_BLOCK, MAX_CSV_TEXT, MAX_REASON, MIN_REASON
from number_inventory.settings import SettingError
from number_inventory.statuses import AVAILABLE, RESERVED

#: A refusal names at most this many numbers (or lines), then says how many more there are.
NAMED = 20
#: The longest site or label (the view shows them in a table cell).
MAX_TEXT = 200
#: The statuses an import may give a new number.
IMPORT_STATUSES = (AVAILABLE, RESERVED)
#: The columns of an import, in the order a CSV without them would have.
IMPORT_COLUMNS = ("number", "status", "site", "label")
#: The largest CSV an import reads, in bytes (a million lines of number, status, site and label).
MAX_CSV_BYTES = 200_000_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BlockError(SettingError):
    """The block action cannot be done as asked; the message says why. Nothing was written. A
    :class:`SettingError` (a parameter that no retry mends): the task fails at once, naming it."""


@dataclass(frozen=True)
class BlockRequest:
    """A checked form of a block action: the numbers (normalised, each once, in the order given) with
    the status, site and label each would be added with; ``refusals`` are the lines of an import that
    cannot be imported (``line N: why``), ``source`` says where the numbers came from."""

    action: str
    tenant: str
    numbers: Sequence[str]
    statuses: Sequence[str]
    sites: Sequence[str | None]
    labels: Sequence[str | None]
    note: str
    source: str
    refusals: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if len(self.numbers) > MAX_BLOCK:
            raise BlockError(
                f"{self.action}: {len(self.numbers):,} numbers; at most {MAX_BLOCK:,} per run: "
                "split the block over several runs"
            )

    @property
    def reason(self) -> str:
        """The history's reason for the changes of this action."""
        return f"manual_{self.action}"

    def rows(self) -> Iterable[tuple[str, str, str | None, str | None]]:
        """``(number, status, site, label)`` of each number, for COPY."""
        return zip(self.numbers, self.statuses, self.sites, self.labels, strict=True)


def named(items: Sequence[str], total: int | None = None) -> str:
    """The first ``NAMED`` of ``items``, and how many more (of ``total``, default ``len(items)``)."""
    total = len(items) if total is None else total
    shown = ", ".join(items[:NAMED])
    return shown + (f" … and {total - min(len(items), NAMED):,} more" if total > NAMED else "")


# --- ranges -------------------------------------------------------------------------------------


def expand_range(first: Any, last: Any, count: Any) -> list[str]:
    """The numbers from ``first`` to ``last`` (both included), or ``count`` numbers from ``first``:
    same spelling (``+`` or not) and same number of digits throughout, as a carrier assigns a block
    (``+4930123000`` to ``+4930123999``). Raises :class:`BlockError` naming the parameter."""
    start = _range_end("first", first)
    digits = start.lstrip("+")
    plus, width, low = start[: len(start) - len(digits)], len(digits), int(digits)
    if _given(last) and _given(count):
        raise BlockError("Give either Parameter 'last' or Parameter 'count' with 'first', not both")
    if _given(last):
        end = _range_end("last", last)
        end_digits = end.lstrip("+")
        if end[: len(end) - len(end_digits)] != plus or len(end_digits) != width:
            raise BlockError(
                f"Parameter 'last' ({end}) must be spelled like 'first' ({start}): the same leading '+' "
                "or none, and the same number of digits"
            )
        size = int(end_digits) - low + 1
        if size < 1:
            raise BlockError(f"Parameter 'last' ({end}) comes before 'first' ({start})")
    elif _given(count):
        if isinstance(count, bool) or not re.fullmatch(r"[0-9]{1,7}", str(count).strip()):
            raise BlockError(
                f"Parameter 'count' must be a whole number from 1 to {MAX_BLOCK:,}, got {count!r}"
            )
        size = int(str(count).strip())
        if size < 1:
            raise BlockError(
                f"Parameter 'count' must be a whole number from 1 to {MAX_BLOCK:,}, got {count!r}"
            )
        if len(str(low + size - 1)) > width:
            raise BlockError(
                f"Parameter 'count' ({size:,}) runs past the last {width}-digit number after 'first' ({start})"
            )
    else:
        raise BlockError(
            "Parameter 'first' needs Parameter 'last' or Parameter 'count': where the range ends"
        )
    if size > MAX_BLOCK:
        raise BlockError(
            f"The range {start} – {plus}{low + size - 1:0{width}d} holds {size:,} numbers; at most "
            f"{MAX_BLOCK:,} per run: split it over several runs"
        )
    return [f"{plus}{value:0{width}d}" for value in range(low, low + size)]


def _given(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _range_end(name: str, value: Any) -> str:
    number = nums.normalise_number(value) if isinstance(value, str) else None
    if number is None:
        raise BlockError(
            f"Parameter '{name}' must be a number (digits with an optional leading '+', e.g. +4930123000), "
            f"got {value!r}"
        )
    return number


# --- the form -----------------------------------------------------------------------------------


def optional_text(name: str, value: Any) -> str | None:
    """A site or label: ``None`` when not given, else the text stripped, at most ``MAX_TEXT``
    characters without control characters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_TEXT or _CONTROL.search(value.strip()):
        raise BlockError(
            f"Parameter '{name}' must be text of at most {MAX_TEXT} characters on one line, got {value!r}"
        )
    return value.strip()


def parse_block_request(params: dict[str, Any]) -> BlockRequest:
    """Check the form of a block action (``params``: the DAG run's params); raise
    :class:`BlockError` naming every field that is wrong and what it allows."""
    from number_inventory.actions import parse_numbers

    action = params.get("action")
    if action not in BLOCK_ACTIONS:
        raise BlockError(f"Parameter 'action' must be one of {', '.join(BLOCK_ACTIONS)}, got {action!r}")
    problems: list[str] = []
    note = params.get("reason").strip() if isinstance(params.get("reason"), str) else ""
    if not MIN_REASON <= len(note) <= MAX_REASON:
        problems.append(
            f"Parameter 'reason' is required: say why, in {MIN_REASON} to {MAX_REASON} characters "
            "(a ticket number, say)"
        )
    try:
        tenant = tenants.tenant_name(params.get("tenant"), what="Parameter 'tenant'")
    except SettingError as exc:
        problems.append(str(exc))
        tenant = ""
    site = label = None
    for name in ("site", "label"):
        try:
            value = optional_text(name, params.get(name))
        except BlockError as exc:
            problems.append(str(exc))
            continue
        site, label = (value, label) if name == "site" else (site, value)
    numbers: list[str] = []
    source = ""
    refusals: list[str] = []
    statuses: Sequence[str] = ()
    sites: Sequence[str | None] = ()
    labels: Sequence[str | None] = ()
    try:
        if action == "import_numbers":
            numbers, statuses, sites, labels, refusals, source = _import_rows(
                params.get("csv"), params.get("csv_path"), site, label
            )
        else:
            numbers, source = _block_numbers(params, parse_numbers)
    except BlockError as exc:
        problems.append(str(exc))
    if problems:
        raise BlockError("\n".join(problems))
    if action != "import_numbers":
        statuses, sites, labels = [AVAILABLE] * len(numbers), [site] * len(numbers), [label] * len(numbers)
    return BlockRequest(action, tenant, numbers, statuses, sites, labels, note, source, tuple(refusals))


def _block_numbers(params: dict[str, Any], parse_numbers: Any) -> tuple[list[str], str]:
    """The numbers of ``add_numbers`` or ``remove_numbers``: a range or a list, and how to name it."""
    listed, not_numbers = parse_numbers(params.get("numbers"))
    ranged = any(_given(params.get(name)) for name in ("first", "last", "count"))
    if ranged and (listed or not_numbers):
        raise BlockError(
            "Give either a range (Parameters 'first' and 'last' or 'count') or 'numbers', not both"
        )
    if ranged:
        if not _given(params.get("first")):
            raise BlockError("Parameter 'first' is required for a range: the first number of the block")
        numbers = expand_range(params.get("first"), params.get("last"), params.get("count"))
        return numbers, f"range {numbers[0]} – {numbers[-1]}"
    if not_numbers:
        raise BlockError(
            "Parameter 'numbers' holds entries that are not numbers (digits with an optional leading '+'): "
            + named([repr(entry) for entry in not_numbers])
        )
    if not listed:
        raise BlockError(
            "Give the numbers: a range (Parameters 'first' and 'last' or 'count') or a list in 'numbers'"
        )
    if len(listed) > MAX_BLOCK:
        raise BlockError(f"Parameter 'numbers' holds {len(listed):,} numbers; at most {MAX_BLOCK:,} per run")
    return listed, f"list of {len(listed):,} number(s)"


# --- CSV ----------------------------------------------------------------------------------------


def read_csv_source(text: Any, path: Any) -> tuple[str, str]:
    """The CSV of an import and how to name it: the ``csv`` text, or the file at ``csv_path`` on the
    worker (for files too big for a form), exactly one of them."""
    has_text = isinstance(text, str) and text.strip() != ""
    has_path = isinstance(path, str) and path.strip() != ""
    if text is not None and not isinstance(text, str):
        raise BlockError(f"Parameter 'csv' must be text, got {type(text).__name__}")
    if has_text == has_path:
        raise BlockError(
            "import_numbers needs exactly one of Parameter 'csv' (the CSV text) and Parameter 'csv_path' "
            "(a CSV file on the worker)"
        )
    if has_text:
        if len(text) > MAX_CSV_TEXT:
            raise BlockError(
                f"Parameter 'csv' holds {len(text):,} characters; at most {MAX_CSV_TEXT:,}: give a bigger "
                "file as Parameter 'csv_path' (a CSV file on the worker)"
            )
        return text, "CSV text"
    file = Path(path.strip())
    try:
        size = file.stat().st_size
        if size > MAX_CSV_BYTES:
            raise BlockError(f"Parameter 'csv_path': {file} holds {size:,} bytes; at most {MAX_CSV_BYTES:,}")
        return file.read_text(encoding="utf-8-sig"), f"CSV file {file}"
    except (OSError, UnicodeDecodeError) as exc:
        raise BlockError(f"Parameter 'csv_path': cannot read {file} as UTF-8 text: {exc}") from None


def _import_rows(
    text: Any, path: Any, site: str | None, label: str | None
) -> tuple[list[str], list[str], list[str | None], list[str | None], list[str], str]:
    """The rows of an import's CSV: numbers, statuses, sites and labels of the lines that can be
    imported (a line's site and label, else the form's), the refusals (``line N: why``) and the
    source. The header names the columns, ``number`` required, any order, case ignored."""
    content, source = read_csv_source(text, path)
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff")))
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    columns = [cell.strip().lower() for cell in header or []]
    unknown = [name for name in columns if name not in IMPORT_COLUMNS]
    if "number" not in columns or unknown or len(set(columns)) != len(columns):
        raise BlockError(
            f"The CSV's first line must name its columns: 'number' and any of 'status', 'site', 'label', "
            f"each once; got {', '.join(map(repr, columns)) or 'nothing'}"
        )
    at = {name: columns.index(name) for name in columns}
    numbers: list[str] = []
    statuses: list[str] = []
    sites: list[str | None] = []
    labels: list[str | None] = []
    refusals: list[str] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(numbers) + len(refusals) >= MAX_BLOCK:
            raise BlockError(f"The CSV holds more than {MAX_BLOCK:,} lines; split it over several runs")
        cells = {name: row[i].strip() if i < len(row) else "" for name, i in at.items()}
        if len(row) > len(columns):
            refusals.append(f"line {line}: {len(row)} values, but the header names {len(columns)} columns")
            continue
        number = nums.normalise_number(cells["number"]) if cells["number"] else None
        if number is None:
            refusals.append(f"line {line}: {cells['number']!r} is not a number")
            continue
        status = _import_status(cells.get("status", ""))
        if status is None:
            refusals.append(
                f"line {line}: {number}: status {cells['status']!r}; an import adds numbers as "
                f"{' or '.join(IMPORT_STATUSES)} only"
            )
            continue
        if number in seen:
            refusals.append(f"line {line}: {number} is also on line {seen[number]}")
            continue
        try:
            row_site = optional_text("site", cells.get("site")) or site
            row_label = optional_text("label", cells.get("label")) or label
        except BlockError as exc:
            refusals.append(f"line {line}: {number}: {str(exc).replace('Parameter ', '')}")
            continue
        seen[number] = line
        numbers.append(number)
        statuses.append(status)
        sites.append(row_site)
        labels.append(row_label)
    if not numbers and not refusals:
        raise BlockError("The CSV holds no numbers: give one number per line after the header")
    return numbers, statuses, sites, labels, refusals, f"{source}, {len(numbers) + len(refusals):,} line(s)"


def _import_status(text: str) -> str | None:
    """The status of an import's line (empty: ``Available``), spelled as the inventory spells it, or
    ``None`` when an import may not give it."""
    if not text:
        return AVAILABLE
    return next((status for status in IMPORT_STATUSES if status.lower() == text.lower()), None)
