"""The words and limits of the manual action form, without imports, so that the DAG file can use
them while it is parsed (``actions`` holds the rules and needs pandas)."""

from __future__ import annotations

#: The actions on numbers one by one (``actions``) and the label the trigger form shows for each.
NUMBER_ACTIONS: dict[str, str] = {
    "release_now": "Release now (Cooling → Available)",
    "extend_cooling": "Extend or shorten cooling (release on run day + days)",
    "cancel_cooling": "Cancel cooling (registered Cooling → Used)",
    "reserve": "Reserve (Available → Reserved)",
    "unreserve": "Unreserve (Reserved → Available)",
}
#: The actions on blocks of numbers (``number_blocks``): a range, a list or a CSV, written in bulk.
BLOCK_ACTIONS: dict[str, str] = {
    "add_numbers": "Add numbers (a range or list, as Available)",
    "remove_numbers": "Remove numbers (Available ones of a range or list)",
    "import_numbers": "Import numbers (CSV: number, status, site, label)",
}
#: The actions on a connection rather than on numbers, with their labels: the form offers these too.
CONNECTION_ACTIONS: dict[str, str] = {
    "canonicalise_numbers": "Canonicalise numbers to a connection's dial plan (merge spellings)",
}
#: Every action of the form.
ACTIONS: dict[str, str] = {**NUMBER_ACTIONS, **BLOCK_ACTIONS, **CONNECTION_ACTIONS}
#: At most this many numbers per run: one run is one transaction, and its refusals must stay readable.
MAX_NUMBERS = 10_000
#: At most this many numbers per run of a block action: a range of a million is one transaction.
MAX_BLOCK = 1_000_000
#: At most this many characters of CSV in the form (about 100,000 lines): a run's conf is kept in
#: Airflow's database and shown in its UI. A bigger file is read from the worker (``csv_path``).
MAX_CSV_TEXT = 5_000_000
MAX_DAYS = 999
#: The operator's reason must say something: a ticket number at least.
MIN_REASON = 5
MAX_REASON = 1000
