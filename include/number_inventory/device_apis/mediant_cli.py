"""A Mediant SBC's registered users through its REST API's CLI script (``api`` = ``mediant-cli``).

The SBC has no JSON list of registered users; its CLI has ``show voip register db sbc list``, and
the REST API runs CLI text uploaded as a file::

    PUT {base}/api/v1/files/cliScript/incremental      multipart/form-data, part "file" (cli.txt)
    200 {"description": "Incremental CLI Script file was loaded.", "output": "<the CLI's text>"}
    400 the script is wrong (a failed read, not retried)      409 the device is busy (retried)

The whole listing comes in one answer, bounded by ``max_output_bytes``; :mod:`cli_listing` parses
it and says whether it is a complete listing. The read's total is the distinct bindings it held.
The one script ever sent is ``show voip register db sbc list``: the resource runs any CLI text,
configuration commands too, and needs an Administrator account, so the ``cli_command`` extra can
only spell that command (in any case and spacing); anything else is refused before a request.

A listing cut cleanly between two users has nothing in its text to tell it from a shorter one, so
with ``count_check`` ``required`` (the default here) the device's own counter of registered users
(:mod:`counter`) is read before and after the listing, and the listing must account for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from number_inventory.device_apis import cli_listing, counter, json_list
from number_inventory.device_apis.contract import DeviceApi, Extra
from number_inventory.device_apis.counter import Counter
from number_inventory.device_apis.transport import (
    Binding,
    DeviceReadError,
    ProbeResult,
    ReadResult,
    Transport,
)

#: The name of the uploaded script, as in AudioCodes' example.
SCRIPT_NAME = "cli.txt"


def read(
    transport: Transport,
    *,
    on_page: Callable[[Sequence[Binding]], None],
    on_restart: Callable[[], None] | None = None,
) -> ReadResult:
    """Run the command once and hand its bindings to ``on_page`` in batches (one answer: a read never
    starts over); with ``count_check`` ``required``, the device's counter read before and after the
    listing must agree with it."""
    device_counter = Counter.of(transport)
    if device_counter is None:
        listing = run(transport, on_page)
    else:
        before = device_counter.read()
        listing = run(transport, on_page, count_registered=True)
        check(transport, device_counter, listing, before, device_counter.read())
    return ReadResult(total=listing.bindings, items=listing.bindings, pages=1, restarts=0)


def check(
    transport: Transport, counter: Counter, listing: cli_listing.Listing, before: int, after: int
) -> None:
    """Fail unless the listing accounts for the device's counter. AudioCodes does not say whether
    the counter counts AORs or contacts, so the larger of the listing's two counts is compared."""
    registered, active = listing.registered or 0, listing.active_contacts or 0
    what = f"{registered:,} AORs with an active contact, {active:,} active contacts"
    try:
        counter.check(before, after, max(registered, active), what)
    except DeviceReadError as exc:
        raise DeviceReadError(
            f"{transport.where} running {transport.contract.cli_command!r}: {exc}"
        ) from None


def run(
    transport: Transport,
    on_bindings: Callable[[Sequence[Binding]], None],
    *,
    count_registered: bool = False,
) -> cli_listing.Listing:
    """Run ``cli_command`` and parse its output; anything but a complete listing is a failed read.
    The contract holds the one show command: its extra's check refused any other when it was made."""
    contract = transport.contract
    command = contract.cli_command
    where = f"{transport.where} running {command!r}"
    script = (command + "\n").encode()
    answer = transport.request(
        "PUT",
        where=where,
        files={"file": (SCRIPT_NAME, script, "text/plain")},
        max_bytes=contract.max_output_bytes,
        bound="max_output_bytes",
        refusals={400: "the device refused the CLI script; check the 'cli_command' extra"},
    )
    output = _output(answer.body, where)
    try:
        return cli_listing.parse(output, command, on_bindings, count_registered=count_registered)
    except DeviceReadError as exc:
        raise DeviceReadError(f"{where}: {exc}") from None


def probe(transport: Transport) -> ProbeResult:
    """One run of the command, counting the registered users it lists; with ``count_check``
    ``required``, the device's counter too, which the listing must account for."""
    device_counter = Counter.of(transport)
    count = device_counter.read() if device_counter is not None else None
    listing = run(transport, lambda batch: None, count_registered=True)
    if device_counter is not None and count is not None:
        check(transport, device_counter, listing, count, count)
    registered = listing.registered or 0
    return ProbeResult(API.name, listing.bindings, registered, listing.bindings, True, count)


def _output(body: bytes | bytearray, where: str) -> str:
    """The ``output`` text of the answer. The body is released as soon as it is decoded, so that a
    listing of a million bindings is held as text once, not three times."""
    size = len(body)
    text = body.decode("utf-8", "replace")  # a byte that is not UTF-8 cannot stop the read
    if isinstance(body, bytearray):
        body.clear()
    try:
        data = json.loads(text, strict=False)  # a raw control character inside the output is text
    except RecursionError:
        raise DeviceReadError(f"{where}: the answer is malformed: JSON nested too deeply") from None
    except ValueError:  # not JSON, or a number too long for Python
        raise DeviceReadError(f"{where}: the answer is not the CLI script's JSON ({size:,} bytes)") from None
    del text
    output = data.get("output") if isinstance(data, dict) else None
    if not isinstance(output, str):
        raise DeviceReadError(f"{where}: the answer has no 'output' text: not the CLI script's answer")
    return output


API = DeviceApi(
    name="mediant-cli",
    summary="mediant-cli: a Mediant SBC's 'show voip register db sbc list' through its REST CLI script",
    extras=(
        json_list.path_extra("/api/v1/files/cliScript/incremental"),
        Extra(
            "cli_command",
            cli_listing.COMMAND,
            "the CLI command whose output is read",
            check=cli_listing.checked_command,
        ),
        Extra(
            "max_output_bytes",
            256 * 1024 * 1024,
            "the largest answer, in bytes (256 MB: about 2.5 million bindings)",
            minimum=1,
        ),
        *counter.extras(check="required"),
    ),
    read=read,
    probe=probe,
)
