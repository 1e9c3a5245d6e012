"""A history that explains every row (issue 13): the DAGs' changes, manual actions and hand edits made
with plain SQL on another connection are all in ``number_inventory_history``, each once, so that
replaying it from an empty table gives ``number_inventory`` row by row."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from number_inventory import history, views
from tests.dags.helpers import USED, D, row

pytestmark = pytest.mark.dag

SYNC, DAILY, PURGE, ACTION = (
    "audiocodes_number_sync",
    "number_inventory_daily",
    "audiocodes_connection_purge",
    "number_inventory_action",
)
CONSOLE = "ops-console"


@pytest.fixture
def operator(pg):
    """An operator's own session: plain SQL, with its own application_name."""
    conn = psycopg.connect(pg[1], autocommit=True, application_name=CONSOLE)
    yield conn
    conn.close()


def test_replaying_the_history_reproduces_the_inventory(db, devices, run_dag, operator, monkeypatch):
    # The daily run on day 5 comes two days after the last sync: not a stale device here.
    monkeypatch.setenv("AIRFLOW_VAR_AUDIOCODES_MAX_READ_AGE_HOURS", "72")
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(range(1000, 1010))
    b.register_numbers(range(1010, 1020))
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"

    # A new range loaded by hand, with INSERT and with COPY.
    operator.execute(
        "INSERT INTO number_inventory (number) SELECT g::text FROM generate_series(2000, 2009) AS g"
    )
    with operator.cursor().copy("COPY number_inventory (number, status, tag) FROM STDIN") as copy:
        for n in range(2100, 2105):
            copy.write_row((str(n), "Reserved", "lab"))
    for n in range(1000, 1004):
        a.unregister(str(n))
    assert run_dag(SYNC, D(2026, 11, 3))[0] == "success"

    # Hand edits: an UPDATE, a renumbering, a DELETE, an upsert, and a touch that changes nothing replayed.
    with operator.transaction():
        operator.execute("UPDATE number_inventory SET status = 'Reserved', tag = 'CEO' WHERE number = '2000'")
        operator.execute("UPDATE number_inventory SET number = '2019' WHERE number = '2009'")
        operator.execute("DELETE FROM number_inventory WHERE number IN ('2008', '2104')")
    operator.execute(
        "INSERT INTO number_inventory (number, status) VALUES ('2001', 'Used-Utility'), ('2200', 'Available') "
        "ON CONFLICT (number) DO UPDATE SET status = excluded.status"
    )
    operator.execute("UPDATE number_inventory SET updated_at = now() WHERE number = '2002'")
    # An operator parks 1004 (still registered) in Cooling; the daily audit puts it back.
    operator.execute(
        "UPDATE number_inventory SET status = 'Cooling', release_date = '2026-11-30' WHERE number = '1004'"
    )

    form = {"reason": "INC-1: port-out"}
    assert run_dag(ACTION, D(2026, 11, 4), action="release_now", numbers=["1000"], **form)[0] == "success"
    assert run_dag(ACTION, D(2026, 11, 4), action="reserve", numbers=["2003", "2004"], **form)[0] == "success"
    assert run_dag(DAILY, D(2026, 11, 5))[0] == "success"
    assert (
        run_dag(PURGE, D(2026, 11, 5), connection_id="audiocodes_b", confirm="audiocodes_b")[0] == "success"
    )
    operator.execute("DELETE FROM number_inventory WHERE number = '2005'")

    assert row(db, "1004") == USED
    assert history.replay(db) == history.inventory(db)
    assert len(history.inventory(db)) == 20 + 10 + 5 - 2 + 1 - 1

    hand = db.execute(
        "SELECT reason, db_user, application_name, count(*) FROM number_inventory_history "
        "WHERE dag_id IS NULL GROUP BY 1, 2, 3 ORDER BY 1"
    ).fetchall()
    # Every row without a run is one of the operator's edits: the DAGs' own writes, which the
    # triggers also see, are recorded once, by the DAGs, with their run.
    assert hand == [
        ("hand_delete", "postgres", CONSOLE, 4),  # 2008, 2104, 2009 (renumbered), 2005
        ("hand_insert", "postgres", CONSOLE, 10 + 5 + 1 + 1),  # 2000-2009, 2100-2104, 2019, 2200
        ("hand_update", "postgres", CONSOLE, 3),  # 2000, 2001, 1004
    ]
    # The view's number history shows who edited by hand, and with which application.
    page = views.number_history(db, "2000", limit=10, offset=0)
    assert [(i["reason"], i["db_user"], i["application_name"]) for i in page["items"]] == [
        ("hand_update", "postgres", CONSOLE),
        ("hand_insert", "postgres", CONSOLE),
    ]
    deleted = views.number_history(db, "2005", limit=10, offset=0)["items"][0]
    assert (deleted["reason"], deleted["before_status"], deleted["after_status"]) == (
        "hand_delete",
        "Available",
        None,
    )


def test_a_truncate_is_recorded_too(db, operator):
    operator.execute("INSERT INTO number_inventory (number) VALUES ('3000'), ('3001')")
    operator.execute("TRUNCATE number_inventory")

    assert history.replay(db) == history.inventory(db) == []
    reasons = db.execute("SELECT reason FROM number_inventory_history ORDER BY id").fetchall()
    assert [r[0] for r in reasons] == ["hand_insert"] * 2 + ["hand_delete"] * 2


def test_a_stale_writer_mark_skips_nothing(db, operator):
    """A mark set for the whole session (not the pipeline's per-transaction one) does not hide edits."""
    operator.execute("SELECT set_config('number_inventory.writer', pg_current_xact_id()::text, false)")
    operator.execute("INSERT INTO number_inventory (number) VALUES ('3000')")

    assert history.replay(db) == history.inventory(db) == [("3000", "Available", None, None, None, None)]


MARK = "SELECT set_config('number_inventory.writer', pg_current_xact_id()::text, true)"
TAKE_BACK = (
    "UPDATE number_inventory SET status = 'Available', usage = NULL, vendor = NULL WHERE number = '1000'"
)


@pytest.fixture
def editor(db, pg):
    """``(role, session)``: a login role with only SELECT, INSERT, UPDATE and DELETE on
    ``number_inventory`` (nothing on its history), in a session of its own; dropped afterwards
    (roles are the cluster's: the name is unique)."""
    role = f"ni_editor_{uuid.uuid4().hex[:8]}"
    db.execute(f"CREATE ROLE {role} LOGIN")
    db.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON number_inventory TO {role}")
    session = psycopg.connect(
        make_conninfo(**conninfo_to_dict(pg[1]) | {"user": role}), autocommit=True, application_name=CONSOLE
    )
    yield role, session
    session.close()
    db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
    db.execute(f"DROP OWNED BY {role}")
    db.execute(f"DROP ROLE {role}")


def hand_edits(db) -> list[tuple]:
    return db.execute(
        "SELECT number, reason, db_user, before_status, after_status FROM number_inventory_history "
        "WHERE dag_id IS NULL ORDER BY id"
    ).fetchall()


def test_a_role_that_cannot_write_the_history_cannot_mark_its_edits_as_the_pipelines(db, editor):
    """Issue 22 item 13: the writer mark hid a hand edit from the history. Only a role that may
    write the history itself (the DAGs' role does: it writes their rows) has its mark honoured."""
    db.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor) VALUES ('1000', 'Used', 'Device', 'AudioCodes')"
    )
    db.execute("INSERT INTO number_inventory (number) VALUES ('1001')")
    role, session = editor
    assert not db.execute(
        "SELECT has_table_privilege(%s, 'number_inventory_history', 'INSERT')", (role,)
    ).fetchone()[0]

    with session.transaction():
        session.execute(MARK)
        session.execute(TAKE_BACK)
    # Through SET ROLE too: a session that turned itself into the role is that role.
    with db.transaction():
        db.execute(f"SET LOCAL ROLE {role}")
        db.execute(MARK)
        db.execute("UPDATE number_inventory SET status = 'Reserved' WHERE number = '1001'")

    assert row(db, "1000") == ("Available", None, None, None, None)
    assert hand_edits(db)[-2:] == [
        ("1000", "hand_update", role, "Used", "Available"),
        ("1001", "hand_update", "postgres", "Available", "Reserved"),
    ]
    assert history.replay(db) == history.inventory(db)


def test_the_pipelines_mark_still_keeps_its_writes_from_being_recorded_twice(db, editor):
    """A role that may write the history (as the DAGs' role must) has its mark honoured: the
    pipeline's change is recorded once, by the pipeline."""
    import datetime as dt

    import pandas as pd

    from number_inventory import store
    from number_inventory.columns import CHANGE_COLUMNS

    role, session = editor
    db.execute(f"GRANT SELECT, INSERT ON number_inventory_history TO {role}")
    db.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    change = pd.DataFrame({c: pd.Series([None], dtype="string") for c in CHANGE_COLUMNS})
    change = change.assign(number="1000", reason="registered", is_new=True, status="Used", usage="Device")
    change = change.assign(vendor="AudioCodes").astype({"is_new": bool})[list(CHANGE_COLUMNS)]
    with session.transaction():
        store.apply_changes(session, change, store.RunInfo("test", "run-1", dt.date(2026, 11, 2)))

    assert db.execute("SELECT number, reason FROM number_inventory_history").fetchall() == [
        ("1000", "registered")
    ]
    assert history.replay(db) == history.inventory(db)
