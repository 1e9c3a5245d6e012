"""The words and limits of the manual action form, without imports, so that the DAG file can use
them while it is parsed (``actions`` holds the rules and needs pandas)."""

from __future__ import annotations

#: The actions and the label the trigger form shows for each.
ACTIONS: dict[str, str] = {
    "release_now": "Release now (Cooling → Available)",
    "extend_cooling": "Extend or shorten cooling (release on run day + days)",
    "cancel_cooling": "Cancel cooling (registered Cooling → Used)",
    "reserve": "Reserve (Available → Reserved)",
    "unreserve": "Unreserve (Reserved → Available)",
}
#: The actions on a connection rather than on numbers, with their labels: the form offers these too.
CONNECTION_ACTIONS: dict[str, str] = {
    "canonicalise_numbers": "Canonicalise numbers to a connection's dial plan (merge spellings)",
}
FORM_ACTIONS: dict[str, str] = {**ACTIONS, **CONNECTION_ACTIONS}
#: At most this many numbers per run: one run is one transaction, and its refusals must stay readable.
MAX_NUMBERS = 10_000
MAX_DAYS = 999
#: The operator's reason must say something: a ticket number at least.
MIN_REASON = 5
MAX_REASON = 1000
