"""The parser of ``show voip register db sbc list``: the documented examples, each variant the
manuals show, and hostile text. Every binding's active flag is judged the way the pipeline judges
it, by ``numbers.contacts_active`` on the contact handed on."""

from __future__ import annotations

import time

import pytest

from devtools.device_server import render_cli_listing
from number_inventory.device_apis.cli_listing import Listing, lines, parse
from number_inventory.device_apis.transport import DeviceReadError
from number_inventory.numbers import aor_numbers, contacts_active

COMMAND = "show voip register db sbc list"


def bindings_of(text: str, batch: int = 20_000) -> tuple[Listing, list[tuple[str, str, bool]]]:
    """The listing and every binding as (aor, contact, active as the pipeline sees it). The text is
    parsed as a read parses it (the fast path) and as a probe does (every contact judged), and both
    must hand on the same bindings."""
    batches: list[list[tuple[str, str]]] = []
    listing = parse(text, COMMAND, lambda b: batches.append(list(b)), batch=batch, count_registered=True)
    pairs = [pair for b in batches for pair in b]
    fast: list[tuple[str, str]] = []
    read = parse(text, COMMAND, fast.extend, batch=batch)
    assert fast == pairs and read == Listing(listing.aors, listing.bindings, None, listing.total)
    active = contacts_active([contact for _, contact in pairs])
    return listing, [(aor, contact, flag) for (aor, contact), flag in zip(pairs, active, strict=True)]


# ---------------------------------------------------------------------- the documented examples

# The 7.2 manual's Web table and CLI: AOR "1000@10.8.5.71", contact
# "<sip:1000@10.8.5.71:5060>;expires=180; Active status:1".
DOC_72 = (
    "SBC# show voip register db sbc list\n"
    "AOR: 1000@10.8.5.71\n"
    "  Contact: <sip:1000@10.8.5.71:5060>;expires=180; Active status:1\n"
    "AOR: 1001@10.8.5.71\n"
    "  Contact: <sip:1001@10.8.5.71:5060>;expires=180; Active status:0\n"
    "SBC#"
)


def test_the_72_manuals_example_with_its_status_markers():
    listing, found = bindings_of(DOC_72)
    assert listing == Listing(aors=2, bindings=2, registered=1, total=None)
    assert found == [
        ("1000@10.8.5.71", "<sip:1000@10.8.5.71:5060>;expires=180; Active status:1", True),
        ("1001@10.8.5.71", "<sip:1001@10.8.5.71:5060>;expires=180; Active status:0", False),
    ]


def test_the_4000_manuals_variant_no_marker_is_registered_not_active_is_not():
    text = (
        "Mediant4000# show voip register db sbc list\r\n"
        "Address Of Record: 1000@10.8.5.71\r\n"
        "<sip:1000@10.8.5.71:5060>;expires=180; IPG:1; id:17\r\n"
        "<sip:1000@10.8.5.71:5062>;expires=180; Not-Active; IPG:1; id:18\r\n"
        "Address of Record Sue\r\n"
        "Userinfo; IPG:2; id:19\r\n"
        "1002@10.8.5.71\r\n"
        "<sips:1002@10.8.5.71:5061>;expires=180; Not-Active; IPG:1; id:20\r\n"
    )
    listing, found = bindings_of(text)
    assert listing == Listing(aors=3, bindings=4, registered=2, total=None)
    assert [(aor, active) for aor, _, active in found] == [
        ("1000@10.8.5.71", True),
        ("1000@10.8.5.71", False),
        ("Sue", True),
        ("1002@10.8.5.71", False),
    ]
    assert found[1][1] == "<sip:1000@10.8.5.71:5062>;expires=180; Not-Active; IPG:1; id:18; Active status:0"
    assert aor_numbers([aor for aor, _, _ in found]) == ["1000", "1000", None, "1002"]


def test_the_documented_rest_rendering_of_line_breaks_as_dot_space():
    text = DOC_72.replace("\n", ". ") + "."
    assert bindings_of(text) == bindings_of(DOC_72)


@pytest.mark.parametrize("line_break", ["lf", "crlf", "dot"])
@pytest.mark.parametrize("style", ["7.2", "4000"])
@pytest.mark.parametrize("total_line", [False, True])
def test_every_simulated_style_parses_back_to_its_bindings(style, line_break, total_line):
    bindings = [
        ("1000@10.8.5.71", "<sip:1000@10.8.5.71:5060>;expires=180; Active status:1"),
        ("1000@10.8.5.71", "<sip:1000@10.8.5.71:5061>;expires=180; Active status:0"),
        ("+14155550100@sbc.example", "<sips:+14155550100@10.1.1.1:5061>;expires=3600; Active status:1"),
        ("2000@10.8.5.71", "<sip:2000@10.8.5.71:5060>;expires=180; Active status:0"),
    ]
    text = render_cli_listing(bindings, style=style, line_break=line_break, total_line=total_line)
    listing, found = bindings_of(text)
    assert listing.aors == 3 and listing.bindings == 4 and listing.registered == 2
    assert listing.total == (3 if total_line else None)
    assert [(aor, active) for aor, _, active in found] == [
        ("1000@10.8.5.71", True),
        ("1000@10.8.5.71", False),
        ("+14155550100@sbc.example", True),
        ("2000@10.8.5.71", False),
    ]


def test_labels_rows_and_numbered_contacts():
    text = "\n".join(
        [
            "Address of Record          Contact",
            "------------------------------------------",
            "1000@10.8.5.71   <sip:1000@10.8.5.71:5060>;expires=180; Active status:1",
            "AOR 1001@10.8.5.71",
            "1. <sip:1001@10.8.5.71:5060>;expires=180",
            "Contact 2: <sip:1001@10.8.5.71:5061>;expires=180; Active status:0",
            "Total Users: 2",
        ]
    )
    listing, found = bindings_of(text)
    assert listing == Listing(aors=2, bindings=3, registered=2, total=2)
    assert [(aor, active) for aor, _, active in found] == [
        ("1000@10.8.5.71", True),
        ("1001@10.8.5.71", True),
        ("1001@10.8.5.71", False),
    ]


def test_an_aor_with_no_active_contact_is_not_a_registered_user():
    listing, _ = bindings_of(
        "AOR: 1000@h\nContact: <sip:1000@h>; Active status:0\nContact: <sip:1000@h:5062>; Not-Active\n"
    )
    assert (listing.aors, listing.bindings, listing.registered) == (1, 2, 0)


# ---------------------------------------------------------------------- totals and empty listings


@pytest.mark.parametrize(
    "line", ["Total: 2", "Total Users: 2", "Number of users = 2", "2 users", "TOTAL: 2."]
)
def test_a_total_line_that_agrees(line):
    listing, _ = bindings_of(DOC_72.replace("SBC#", line).replace(f"{line} show", "SBC# show"))
    assert listing.total == 2


def test_a_total_line_that_disagrees_does_not_add_up():
    with pytest.raises(DeviceReadError, match="read does not add up: the listing's total line counts 3"):
        bindings_of(DOC_72 + "\nTotal: 3")


@pytest.mark.parametrize(
    "text",
    [
        "SBC# show voip register db sbc list\nTotal: 0\nSBC#",
        "SBC# show voip register db sbc list\nNo registered users\nSBC#",
        "show voip register db sbc list. No registered users.",
        render_cli_listing([], style="4000", total_line=True),
        render_cli_listing([], style="7.2", line_break="dot"),
    ],
    ids=["total-0", "no-users", "dot-rendering", "4000-total-0", "7.2-no-users-dot"],
)
def test_an_explicitly_empty_listing_is_empty(text):
    listing, found = bindings_of(text)
    assert (listing.aors, listing.bindings, found) == (0, 0, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "does not look like a registered-users listing"),
        ("SBC# show voip register db sbc list\nSBC#", "does not look like a registered-users listing"),
        ("Welcome to the SBC\nNothing to see", "it holds 'Welcome to the SBC'"),
        (
            "show voip register db sbc list\nInvalid command",
            "the CLI answered with an error: 'Invalid command'",
        ),
        ("% Unknown command at '^' marker", "the CLI answered with an error"),
        ("Error: the database is locked", "the CLI answered with an error"),
        ("<sip:1000@h>;expires=180", "a contact before any address of record"),
        ("AOR: 1000@h\nContact: <sip:1000@h:50", "a contact cut off before its '>'"),
        ("AOR: 1000@h\nContact: <sip:1000@h>\nNo registered users", "says it is empty, yet lists 1"),
        ("AOR: 1000@h\nContact: <sip:1000@h>\nTotal: 1\nTotal: 2", "total lines disagree"),
    ],
    ids=[
        "empty-text",
        "echo-only",
        "banner",
        "invalid-command",
        "percent-error",
        "error-text",
        "contact-first",
        "cut-contact",
        "empty-and-not",
        "two-totals",
    ],
)
def test_what_is_not_a_complete_listing_is_a_failed_read(text, message):
    with pytest.raises(DeviceReadError, match=message):
        bindings_of(text)


# ---------------------------------------------------------------------- hostile text and size


def test_nul_bytes_and_replaced_bytes_do_not_stop_the_read():
    raw = b"AOR: 10\x0000@h\nContact: <sip:1000@h>\nAOR: 2\xff\xfe00@h\nContact: <sip:2\xff00@h>; Active status:1\n"
    listing, found = bindings_of(raw.decode("utf-8", "replace"))
    assert listing.aors == 2 and listing.bindings == 2
    assert aor_numbers([aor for aor, _, _ in found]) == [None, None]  # garbage AORs are not numbers


def test_megabyte_lines_cost_their_length_and_no_more():
    long_aor = "9" * 1_000_000 + "@h"
    long_contact = "<sip:x@h>;" + "p=1;" * 250_000
    banner = "=" * 1_000_000
    text = "\n".join([banner, f"AOR: {long_aor}", long_contact, "x" * 1_000_000 + "@" + "y" * 5, "<sip:z@h>"])
    started = time.perf_counter()
    listing, found = bindings_of(text)
    assert time.perf_counter() - started < 2
    assert listing.aors == 2 and found[0][0] == long_aor

    started = time.perf_counter()
    with pytest.raises(DeviceReadError, match="cut off"):
        bindings_of("AOR: 1@h\n<sip:" + "a" * 1_000_000)
    with pytest.raises(DeviceReadError, match="does not look like"):
        bindings_of("a " * 500_000)
    assert time.perf_counter() - started < 2


def test_bindings_arrive_in_batches():
    bindings = [(f"{n}@h", f"<sip:{n}@h>; Active status:1") for n in range(2500)]
    sizes: list[int] = []
    parse(render_cli_listing(bindings), COMMAND, lambda b: sizes.append(len(b)), batch=1000)
    assert sizes == [1000, 1000, 500]
    sizes.clear()
    parse(render_cli_listing(bindings, style="4000"), COMMAND, lambda b: sizes.append(len(b)), batch=1000)
    assert sizes == [1000, 1000, 500]


def test_lines_are_split_by_what_the_text_uses():
    assert list(lines("a\r\nb\r\n")) == ["a\r", "b\r", ""]
    assert list(lines("a\rb")) == ["a", "b"]
    assert list(lines("a. b. c.")) == ["a", "b", "c"]
    assert list(lines("one line")) == ["one line"]


# ---------------------------------------------------------------------- proof of a whole listing


def test_a_binding_listed_twice_is_handed_on_once_and_an_aor_listed_twice_is_one_user():
    text = "\n".join(
        [
            "AOR: 1000@h",
            "Contact: <sip:1000@h:5060>; Active status:1",
            "Contact: <sip:1000@h:5060>; Active status:1",  # the same contact again
            "Contact: <sip:1000@h:5061>; Active status:0",
            "AOR: 2000@h",
            "Contact: <sip:2000@h>; Active status:1",
            "AOR: 1000@h",  # the first AOR again, one contact repeated and one new
            "Contact: <sip:1000@h:5061>; Active status:0",
            "Contact: <sip:1000@h:5062>; Active status:1",
            "Total: 2",
        ]
    )
    listing, found = bindings_of(text)
    assert listing == Listing(aors=2, bindings=4, registered=2, total=2)
    assert len(found) == 5 and len(set(found)) == 4  # the store counts distinct bindings: 4


def test_terminal_control_sequences_are_removed_before_parsing():
    text = (
        "\x1b]0;SBC title\x07SBC# show voip register db sbc list\r\n"
        "AOR: \x1b[32m1000@10.0.0.1\x1b[0m\r\n"
        "  Contact: \x1b[1m<sip:1000@10.0.0.1>\x1b[m; Active status:1\x1b[K\r\n"
        "AOR: 2\b20\b00\b00\b0@10.0.0.1\r\n"  # bold by overstrike
        "  Contact: <sip:2000@10.0.0.1>; Active status:\x9b1m1\r\n"
        "\x1b(B\x1b[?25hSBC# "
    )
    _, found = bindings_of(text)
    assert [(aor, contact, active) for aor, contact, active in found] == [
        ("1000@10.0.0.1", "<sip:1000@10.0.0.1>; Active status:1", True),
        ("2000@10.0.0.1", "<sip:2000@10.0.0.1>; Active status:1", True),
    ]


def test_hostile_control_sequences_cost_their_length():
    started = time.process_time()  # CPU time: the machine may be busy with other tests
    for text in (
        "AOR: 1@h\n<sip:1@h>\n" + "\x1b[" + "1;" * 500_000,  # a CSI that never ends
        "AOR: 1@h\n<sip:1@h>\n" + "\x1b]" + "t" * 1_000_000,  # an OSC that never ends
        "AOR: 1@h\n<sip:1@h>\n" + "a\b" * 500_000,
        "AOR: 1@h\n<sip:1@h>\n" + "\b" * 1_000_000 + "\n" + "-" * 1_000_000 + "x",
    ):
        with pytest.raises(DeviceReadError):
            bindings_of(text + "\nwords that are not a listing's")
    assert time.process_time() - started < 2


@pytest.mark.parametrize(
    "tail", ["\n", "\r\n", "\nSBC# ", "\r\nSBC#\r\n"], ids=["lf", "crlf", "prompt", "prompt-crlf"]
)
def test_the_dot_rendering_followed_by_a_line_break(tail):
    text = DOC_72.replace("\n", ". ") + "." + tail
    assert bindings_of(text) == bindings_of(DOC_72)


@pytest.mark.parametrize(
    "heading",
    [
        "SBC Registered Users",
        "----- SBC Registered Users -----",
        "Registered Users:",
        "AOR   Contact   Status",
    ],
)
def test_a_documented_heading_is_skipped(heading):
    listing, _ = bindings_of(
        f"{heading}\n{'-' * 20}\nAOR: 1000@h\n  Contact: <sip:1000@h>; Active status:1\n"
    )
    assert (listing.aors, listing.bindings) == (1, 1)
