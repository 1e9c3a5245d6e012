"""Migrations against databases that are not fresh: a ``number_inventory`` table the operator had
before (adopted, or refused with a message that names the table and the problem) and a role that may
read and write but not create (no DDL when nothing is pending; the missing privilege named when
something is). Each test has a database of its own on the real PostgreSQL, and roles it creates and
drops."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from devtools import local_db
from number_inventory import history, schema, store, views
from number_inventory.schema import SchemaError
from number_inventory.store import bulk_load, sql
from number_inventory.transitions import CHANGE_COLUMNS

MIGRATIONS = sorted(p.stem for p in store.MIGRATIONS_DIR.glob("*.sql"))

#: An operator's inventory from before the pipeline: the SPEC's columns, two of its own (one NOT NULL
#: with a default), no updated_at, no key, no checks, numbers as varchar.
OPERATOR_TABLE = """
CREATE TABLE number_inventory (
    number       varchar(40),
    status       varchar(20),
    usage        text,
    vendor       text,
    tag          text,
    release_date date,
    site         text,
    cost_centre  integer NOT NULL DEFAULT 0
)
"""
OPERATOR_ROWS = [
    ("1000", "Used", "Device", "AudioCodes", None, None, "Berlin", 7),
    ("+4930123", "Available", None, None, None, None, "Berlin", 0),
    ("2000", "Reserved", None, None, "for the board", None, None, 3),
    ("3000", "Cooling", "Device", "Microsoft", "general cooling", "2026-12-24", "Paris", 0),
]


@pytest.fixture
def fresh_db(pg):
    """The DSN of an empty database of this test's own, dropped afterwards."""
    server, _ = pg
    name = f"ni_schema_{uuid.uuid4().hex[:8]}"
    yield local_db.with_database(server, name)
    local_db.drop_database(server, name)


@pytest.fixture
def owner(fresh_db):
    conn = local_db.connect(fresh_db)
    yield conn
    conn.close()


def operator_table(conn, create: str = OPERATOR_TABLE, rows=OPERATOR_ROWS) -> None:
    conn.execute(create)
    with conn.cursor() as cursor:
        for row in rows:
            cursor.execute(f"INSERT INTO number_inventory VALUES ({', '.join(['%s'] * len(row))})", row)


def table_rows(conn) -> list[tuple]:
    return conn.execute(
        "SELECT number, status, usage, vendor, tag, release_date::text, site, cost_centre "
        "FROM number_inventory ORDER BY number"
    ).fetchall()


# --- adopting a table that existed before -------------------------------------------------------


def test_an_existing_inventory_is_adopted_keeping_its_columns_and_rows(owner):
    # Before: 0001 skipped the existing table (IF NOT EXISTS), then 0003 failed with
    # 'constraint "number_is_normalised" of relation "number_inventory" does not exist'.
    operator_table(owner)

    assert store.migrate(owner) == MIGRATIONS

    assert table_rows(owner) == sorted(
        [tuple(str(v) if k == 5 and v else v for k, v in enumerate(r)) for r in OPERATOR_ROWS]
    )
    assert owner.execute("SELECT count(*) FROM number_inventory WHERE updated_at IS NULL").fetchone()[0] == 0
    # What the first migration would have made: the key, the checks, the defaults.
    with pytest.raises(psycopg.errors.CheckViolation, match="number_is_normalised"):
        owner.execute("INSERT INTO number_inventory (number) VALUES ('030 1234')")
    with pytest.raises(psycopg.errors.CheckViolation, match="status_is_known"):
        owner.execute("INSERT INTO number_inventory (number, status) VALUES ('5000', 'Free')")
    with pytest.raises(psycopg.errors.UniqueViolation):
        owner.execute("INSERT INTO number_inventory (number) VALUES ('1000')")
    owner.execute("INSERT INTO number_inventory (number) VALUES ('5000')")
    assert owner.execute(
        "SELECT status, site, cost_centre FROM number_inventory WHERE number = '5000'"
    ).fetchone() == (
        "Available",
        None,
        0,
    )
    # And the pipeline reads it like any other inventory.
    frame = store.load_inventory(owner)
    assert set(frame["number"]) == {"1000", "+4930123", "2000", "3000", "5000"}
    assert store.migrate(owner) == []


def test_an_adopted_inventory_takes_the_pipelines_writes(owner):
    operator_table(owner)
    store.migrate(owner)
    run = store.RunInfo("test", "run-1", pd.Timestamp("2026-11-02").date())
    change = pd.DataFrame(
        {
            "number": ["4000", "1000"],
            "is_new": [True, False],
            "reason": ["registered", "registered"],
        }
    )
    for column in CHANGE_COLUMNS:
        if column not in change:
            change[column] = None
    change["status"], change["usage"], change["vendor"] = "Used", "Device", "AudioCodes"
    change.loc[1, ["before_status", "before_usage", "before_vendor"]] = ["Used", "Device", "AudioCodes"]
    change = change.astype({c: "string" for c in CHANGE_COLUMNS if c != "is_new"})
    with owner.transaction():
        written = store.apply_changes(owner, change[list(CHANGE_COLUMNS)], run)
    assert written == 2
    assert owner.execute("SELECT status, site FROM number_inventory WHERE number = '1000'").fetchone() == (
        "Used",
        "Berlin",
    )


def test_an_inventory_with_its_own_primary_key_gets_a_unique_number(owner):
    operator_table(
        owner,
        "CREATE TABLE number_inventory (id serial PRIMARY KEY, number text, status text, usage text, "
        "vendor text, tag text, release_date date, updated_at timestamptz)",
        [(1, "1000", "Used", "Device", "AudioCodes", None, None, None)],
    )

    store.migrate(owner)

    with pytest.raises(psycopg.errors.UniqueViolation):
        owner.execute("INSERT INTO number_inventory (number) VALUES ('1000')")
    assert owner.execute("SELECT id, updated_at IS NOT NULL FROM number_inventory").fetchall() == [(1, True)]


@pytest.mark.parametrize(
    ("create", "rows", "problem"),
    [
        pytest.param(
            OPERATOR_TABLE,
            [
                *OPERATOR_ROWS,
                ("030 1234", "Used", None, None, None, None, None, 0),
                ("+49-30", "Used", *[None] * 4, 0),
            ],
            "2 row(s) have a number that is not normalised (digits with an optional leading '+', 1 to 32 "
            "digits), e.g. '+49-30', '030 1234'",
            id="number-not-normalised",
        ),
        pytest.param(
            OPERATOR_TABLE,
            [*OPERATOR_ROWS, ("4000", "Free", *[None] * 5, 0), ("4001", None, *[None] * 5, 0)],
            "2 row(s) have a status that is not one of Available, Used, Used-Utility, Reserved, Cooling, "
            "e.g. 'Free', NULL",
            id="unknown-status",
        ),
        pytest.param(
            OPERATOR_TABLE,
            [*OPERATOR_ROWS, OPERATOR_ROWS[0]],
            "numbers appear more than once, e.g. '1000'",
            id="duplicate-number",
        ),
        pytest.param(
            "CREATE TABLE number_inventory (number bigint, status text, usage text, vendor text, tag text, "
            "release_date date)",
            [(1000, "Used", None, None, None, None)],
            "column 'number' is bigint, not text or character varying",
            id="number-of-the-wrong-type",
        ),
        pytest.param(
            "CREATE TABLE number_inventory (number text, status text, usage text, vendor text, tag text, "
            "release_date timestamptz)",
            [],
            "column 'release_date' is timestamp with time zone, not date",
            id="release-date-of-the-wrong-type",
        ),
        pytest.param(
            "CREATE TABLE number_inventory (number text, usage text, vendor text)",
            [("1000", None, None)],
            "it has no column 'status'",
            id="no-status",
        ),
        pytest.param(
            "CREATE TABLE number_inventory (number text, status text, usage text, vendor text, tag text, "
            "release_date date, site text NOT NULL)",
            [("1000", "Used", None, None, None, None, "Berlin")],
            "column 'site' is NOT NULL without a default",
            id="own-column-not-null-without-default",
        ),
    ],
)
def test_an_inventory_that_cannot_be_adopted_is_refused_and_left_as_it_was(owner, create, rows, problem):
    operator_table(owner, create, rows)
    before = owner.execute("SELECT * FROM number_inventory ORDER BY 1").fetchall()
    columns = owner.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'number_inventory'"
    ).fetchall()

    with pytest.raises(SchemaError) as info:
        store.migrate(owner)

    message = str(info.value)
    assert message.startswith(
        "table number_inventory existed before the first migration and cannot be adopted"
    )
    assert problem in message and "Nothing was changed" in message
    assert owner.execute("SELECT * FROM number_inventory ORDER BY 1").fetchall() == before
    assert (
        owner.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'number_inventory'"
        ).fetchall()
        == columns
    )
    assert not schema.exists(owner, "number_inventory_schema")
    assert not schema.exists(owner, "number_inventory_history")


# --- a role that may write but not create --------------------------------------------------------


@pytest.fixture
def writer(fresh_db, owner):
    """A login role that may read and write the inventory's tables but create nothing (granted on
    the tables that exist when it connects); dropped afterwards."""
    role = f"ni_writer_{uuid.uuid4().hex[:8]}"
    owner.execute(f"CREATE ROLE {role} LOGIN")

    def connect():
        owner.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        owner.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        return local_db.connect(make_conninfo(**conninfo_to_dict(fresh_db) | {"user": role}))

    yield role, connect
    owner.execute(f"DROP OWNED BY {role}")
    owner.execute(f"DROP ROLE {role}")


def test_a_role_that_may_only_write_runs_no_ddl_when_nothing_is_pending(owner, writer):
    store.migrate(owner)
    _, connect = writer
    with connect() as conn:
        # Before: CREATE TABLE IF NOT EXISTS number_inventory_schema ran on every call and failed with
        # "permission denied for schema public".
        assert conn.execute("SELECT has_schema_privilege('public', 'CREATE')").fetchone()[0] is False
        assert store.migrate(conn) == []
        conn.execute("INSERT INTO number_inventory (number, status) VALUES ('1000', 'Used')")


def test_a_role_that_may_only_write_bulk_loads_with_the_indexes_in_place(owner, writer, monkeypatch):
    # Dropping and rebuilding a table's indexes needs its owner; a writer keeps them in place.
    store.migrate(owner)
    monkeypatch.setattr(bulk_load, "BULK_ROWS", 3)
    _, connect = writer
    with connect() as conn, conn.transaction():
        with store.deferred_indexes(conn, "number_inventory", 10) as dropped:
            conn.execute(
                "INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(1, 10) AS g"
            )
        assert dropped is False
    with owner.transaction(), store.deferred_indexes(owner, "number_inventory", 10_000) as dropped:
        pass
    assert dropped is True  # the owner still takes the bulk path


def test_a_role_that_may_only_write_is_told_what_to_grant_for_a_fresh_database(fresh_db, writer):
    role, connect = writer
    with connect() as conn, pytest.raises(SchemaError) as info:
        store.migrate(conn)
    database = conninfo_to_dict(fresh_db)["dbname"]
    assert str(info.value) == (
        f"role {role!r} may not create tables in schema 'public' of database {database!r}, and the "
        f"inventory's tables are not there yet: grant CREATE ON SCHEMA public TO {role}, or run the "
        "migrations once as the owner (a DAG run whose connection logs in as the owner)"
    )


def test_a_role_that_may_only_write_is_told_who_must_apply_a_pending_migration(owner, writer):
    store.migrate(owner)
    last = MIGRATIONS[-1]
    owner.execute("DELETE FROM number_inventory_schema WHERE version = %s", (last,))  # as if newly shipped
    role, connect = writer
    with connect() as conn:
        with pytest.raises(SchemaError) as info:
            store.migrate(conn)
        said = str(info.value)
        assert said.startswith(f"role {role!r} may not apply migration {last} in database")
        # PostgreSQL's own words (which depend on the migration's first statement), then what to do.
        assert "must be owner of" in said or "permission denied for schema" in said
        assert "run the migrations once as the owner" in said
    assert store.migrate(owner) == [last]


def test_a_role_that_may_not_read_the_record_of_migrations_is_told_what_to_grant(owner, writer):
    store.migrate(owner)
    role, connect = writer
    with connect() as conn:
        owner.execute(f"REVOKE SELECT ON number_inventory_schema FROM {role}")
        with pytest.raises(SchemaError, match=f"grant SELECT ON number_inventory_schema TO {role}"):
            store.migrate(conn)


def test_audit_findings_have_no_dry_run_column(owner):
    # A dry run of the daily step records no findings, so the column was always false (0010 drops it).
    store.migrate(owner)
    columns = {
        row[0]
        for row in owner.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit_finding'"
        )
    }
    assert "dry_run" not in columns and {"repaired", "before", "after"} <= columns


# --- the history triggers (migration 0012) on databases that are not fresh ----------------------
# An adopted table's rows and hand edits made before the upgrade become a baseline, so that replaying
# the history reproduces the table; a role that may edit the inventory but not write the history is
# still recorded.

HISTORY_MIGRATION = "0012_history_of_every_change"
COUNTS_MIGRATION = "0015_inventory_counts"


def registered(numbers: dict[str, bool]) -> pd.DataFrame:
    """A plan that makes each number Used/Device/AudioCodes, new (True) or from Available (False)."""
    change = pd.DataFrame({"number": list(numbers), "is_new": list(numbers.values()), "reason": "registered"})
    for column in CHANGE_COLUMNS:
        if column not in change:
            change[column] = None
    change["status"], change["usage"], change["vendor"] = "Used", "Device", "AudioCodes"
    change.loc[~change["is_new"], "before_status"] = "Available"
    return change.astype({c: "string" for c in CHANGE_COLUMNS if c != "is_new"})[list(CHANGE_COLUMNS)]


def reasons(conn) -> list[tuple]:
    return conn.execute("SELECT number, reason FROM number_inventory_history ORDER BY id").fetchall()


def counts(conn) -> dict[tuple[str, str], int]:
    """The counts by vendor and status the view reads (migration 0015)."""
    return {(v, s): n for v, s, n in conn.execute(sql("view/status_counts"))}


def test_an_adopted_inventory_gets_a_baseline_and_the_triggers(owner):
    operator_table(owner)

    store.migrate(owner)

    assert sorted(reasons(owner)) == [(n, "baseline") for n in sorted(["1000", "+4930123", "2000", "3000"])]
    assert history.replay(owner) == history.inventory(owner)
    triggers = owner.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'number_inventory'::regclass AND NOT tgisinternal "
        "ORDER BY 1"
    ).fetchall()
    assert [t[0] for t in triggers] == [
        "number_inventory_count_delete",
        "number_inventory_count_insert",
        "number_inventory_count_truncate",
        "number_inventory_count_update",
        "number_inventory_history_delete",
        "number_inventory_history_insert",
        "number_inventory_history_truncate",
        "number_inventory_history_update",
        "number_inventory_truncate_guard",
    ]
    # The view's counts start from the adopted rows (migration 0015).
    assert counts(owner) == {
        ("AudioCodes", "Used"): 1,
        ("", "Available"): 1,
        ("", "Reserved"): 1,
        ("Microsoft", "Cooling"): 1,
    }
    # Afterwards the pipeline's writes and the operator's are recorded, each once.
    run = store.RunInfo("test", "run-1", dt.date(2026, 11, 2))
    with owner.transaction():
        assert store.apply_changes(owner, registered({"4000": True, "+4930123": False}), run) == 2
    owner.execute("UPDATE number_inventory SET site = 'Rome' WHERE number = '1000'")  # not a replayed column
    owner.execute("UPDATE number_inventory SET tag = 'board' WHERE number = '2000'")
    assert reasons(owner)[4:] == [("+4930123", "registered"), ("4000", "registered"), ("2000", "hand_update")]
    assert history.replay(owner) == history.inventory(owner)
    assert counts(owner) == {("AudioCodes", "Used"): 3, ("", "Reserved"): 1, ("Microsoft", "Cooling"): 1}
    assert store.migrate(owner) == []


def test_upgrading_records_what_was_edited_by_hand_before(owner):
    store.migrate(owner)
    run = store.RunInfo("test", "run-1", dt.date(2026, 11, 2))
    with owner.transaction():
        store.apply_changes(owner, registered({"1000": True, "1001": True}), run)
    # As before 0012: edits by hand left no trace.
    owner.execute("ALTER TABLE number_inventory DISABLE TRIGGER USER")
    owner.execute("UPDATE number_inventory SET status = 'Reserved' WHERE number = '1000'")
    owner.execute("DELETE FROM number_inventory WHERE number = '1001'")
    owner.execute("INSERT INTO number_inventory (number) VALUES ('2000')")
    owner.execute("ALTER TABLE number_inventory ENABLE TRIGGER USER")
    assert history.replay(owner) != history.inventory(owner)
    owner.execute("DELETE FROM number_inventory_schema WHERE version = %s", (HISTORY_MIGRATION,))

    assert store.migrate(owner) == [HISTORY_MIGRATION]

    baseline = owner.execute(
        "SELECT number, before_status, after_status FROM number_inventory_history WHERE reason = 'baseline' "
        "ORDER BY number"
    ).fetchall()
    assert baseline == [("1000", "Used", "Reserved"), ("1001", "Used", None), ("2000", None, "Available")]
    assert history.replay(owner) == history.inventory(owner)


def test_upgrading_counts_the_rows_there_and_takes_the_trend_from_the_history(owner):
    """Migration 0015 counts the rows already there, and the view's trend of the last days comes
    from the history as it did before the counts were kept."""
    store.migrate(owner)
    run = store.RunInfo("test", "run-1", dt.date(2026, 11, 2))
    with owner.transaction():
        store.apply_changes(owner, registered({"1000": True, "1001": True}), run)
    owner.execute("UPDATE number_inventory_history SET changed_at = now() - interval '3 days'")
    owner.execute("ALTER TABLE number_inventory DISABLE TRIGGER USER")  # a row from before the history
    owner.execute("INSERT INTO number_inventory (number, status) VALUES ('2000', 'Reserved')")
    owner.execute("ALTER TABLE number_inventory ENABLE TRIGGER USER")
    owner.execute("DROP TABLE number_inventory_count")  # as before 0015
    owner.execute("DELETE FROM number_inventory_schema WHERE version = %s", (COUNTS_MIGRATION,))

    assert store.migrate(owner) == [COUNTS_MIGRATION]

    assert counts(owner) == {("AudioCodes", "Used"): 2, ("", "Reserved"): 1}
    today = owner.execute("SELECT (now() AT TIME ZONE 'UTC')::date").fetchone()[0]
    with views.reading(owner):
        trend = views.status_trend(owner, today, "UTC", {"Used": 2, "Cooling": 0, "Available": 0})
    assert [day["Used"] for day in trend] == [0] * 26 + [2] * 4


def test_a_role_that_may_not_write_the_history_is_recorded_by_name(owner, writer):
    store.migrate(owner)
    owner.execute("INSERT INTO number_inventory (number) VALUES ('1000')")
    role, connect = writer
    with connect() as conn:
        owner.execute(f"REVOKE ALL ON number_inventory_history FROM {role}")
        conn.execute("UPDATE number_inventory SET status = 'Reserved' WHERE number = '1000'")
        conn.execute("INSERT INTO number_inventory (number) VALUES ('1001')")

    rows = owner.execute(
        "SELECT number, reason, db_user FROM number_inventory_history WHERE db_user = %s ORDER BY id", (role,)
    ).fetchall()
    assert rows == [("1000", "hand_update", role), ("1001", "hand_insert", role)]
    assert history.replay(owner) == history.inventory(owner)
