"""The daily release's write alone, at any size: ``python -m bench.release_write``.

Builds (once, ``--build``) a database of its own holding what the benchmark leaves before its
``release`` case, made by SQL instead of devices: ``--size`` AudioCodes numbers (``bench.devices.number``)
``Used`` by a device, every tenth of them cooled (a second UPDATE, so that the cooling rows lie at the
end of the heap as the sync's cooling leaves them) and due on the release day, with a history row per
change and the counts of migration 0015; then ``VACUUM ANALYZE``. Each repetition then runs the daily
run's release as ``pipeline.daily`` does (ranges of about ``--batch-rows`` rows, each loaded, planned by
``transitions.plan_release`` and written by ``ChangeWriter.write``) in one transaction that is rolled
back, and prints the seconds of the writes (the rest is untimed). A ``VACUUM`` between repetitions
clears what the rollback left, as the benchmark vacuums before each case. ``--explain`` prints
``EXPLAIN (ANALYZE, BUFFERS, WAL)`` of one range's ``sync/apply_updates.sql`` instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from devtools import local_db
from number_inventory import history, store, transitions
from number_inventory.columns import CHANGE_COLUMNS
from number_inventory.store import RunInfo, inventory
from number_inventory.store.copy_format import copy_in
from number_inventory.store.sql_files import sql

DAY0 = dt.date(2026, 11, 2)
RELEASE_DAY = DAY0 + dt.timedelta(days=2)
CHECKPOINTS = "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
NUMBER = "'+4930' || (10000000 + g)::text"  # bench.devices.number(g)

BUILD = [
    f"""INSERT INTO number_inventory (number, status, usage, vendor)
        SELECT {NUMBER}, 'Used', 'Device', 'AudioCodes' FROM generate_series(0, %(size)s - 1) AS g""",
    f"""INSERT INTO number_inventory_history (number, dag_id, run_id, run_day, reason, after_status,
            after_usage, after_vendor)
        SELECT {NUMBER}, 'bench', 'initial', %(day0)s, 'registered', 'Used', 'Device', 'AudioCodes'
        FROM generate_series(0, %(size)s - 1) AS g""",
    f"""UPDATE number_inventory SET status = 'Cooling', release_date = %(release)s::date,
            tag = 'Cooling: 2 day(s) until release on ' || %(release)s::text
        WHERE number IN (SELECT {NUMBER} FROM generate_series(5, %(size)s - 1, 10) AS g)""",
    f"""INSERT INTO number_inventory_history (number, dag_id, run_id, run_day, reason,
            before_status, before_usage, before_vendor,
            after_status, after_usage, after_vendor, after_tag, after_release_date)
        SELECT {NUMBER}, 'bench', 'due_gone', %(day0)s, 'registration_gone',
               'Used', 'Device', 'AudioCodes', 'Cooling', 'Device', 'AudioCodes',
               'Cooling: 2 day(s) until release on ' || %(release)s::text, %(release)s::date
        FROM generate_series(5, %(size)s - 1, 10) AS g""",
]


def build(server: str, name: str, size: int) -> str:
    local_db.drop_database(server, name)
    dsn = local_db.with_database(server, name)
    with local_db.connect(dsn) as conn:
        store.migrate(conn)
        with conn.transaction():
            history.mark_pipeline_writes(conn)
            params = {"size": size, "day0": DAY0, "release": RELEASE_DAY.isoformat()}
            for statement in BUILD:
                started = time.perf_counter()
                conn.execute(statement, params)
                print(f"build: {time.perf_counter() - started:6.1f} s {statement.split()[0]}", flush=True)
        conn.execute("VACUUM ANALYZE")
    return dsn


def release(dsn: str, batch_rows: int, explain: bool) -> None:
    run = RunInfo(dag_id="bench", run_id=f"release-{time.time_ns()}", run_day=RELEASE_DAY)
    with local_db.connect(dsn) as conn:
        conn.execute("CHECKPOINT")  # each repetition starts from the same WAL position in the cycle
        wal0 = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        checkpoints = conn.execute(CHECKPOINTS).fetchone()[0]
        tx = conn.transaction(force_rollback=True)
        with tx:
            store.lock_inventory(conn)
            store.tune_transaction(conn)
            writer = store.ChangeWriter(conn, run)
            ranges = store.number_ranges(conn, batch_rows)
            seconds, rows = [], 0
            for i, numbers in enumerate(ranges):
                part = store.load_inventory(conn, numbers)
                released = transitions.plan_release(part, run.run_day)
                del part
                if explain and i == len(ranges) // 2:
                    _explain(conn, released, run, numbers)
                    break
                started = time.perf_counter()
                writer.write(released, numbers)
                seconds.append(time.perf_counter() - started)
                rows += len(released)
            wal = conn.execute("SELECT pg_current_wal_lsn() - %s::pg_lsn", (wal0,)).fetchone()[0]
            checkpoints = conn.execute(CHECKPOINTS).fetchone()[0] - checkpoints
        if not explain:
            print(
                f"release write: {sum(seconds):6.2f} s, {writer.written:,} of {rows:,} rows written in "
                f"{len(ranges)} ranges ({' '.join(f'{s:.2f}' for s in seconds)}), "
                f"WAL {wal / 2**20:,.0f} MB, {checkpoints} checkpoints, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        conn.execute("VACUUM number_inventory, number_inventory_history")


def _explain(conn, changes, run, numbers) -> None:
    conn.execute(sql("sync/create_change_table"))
    copy_in(conn, "inventory_change", changes[list(CHANGE_COLUMNS)])
    for name, value in inventory.UPDATE_PLAN:  # as ChangeWriter.write plans the statement
        conn.execute(sql("bulk_load/set_local_setting"), {"name": name, "value": value})
    for setup in filter(None, os.environ.get("RELEASE_WRITE_SETUP", "").split(";")):
        conn.execute(setup)  # attribution only, in a scratch database: RELEASE_WRITE_SETUP="SET ..."
    statement = "EXPLAIN (ANALYZE, BUFFERS, WAL, TIMING) " + sql("sync/apply_updates")
    for (line,) in conn.execute(statement, {**run.params(), **numbers.params()}):
        print(line)
    print(f"({len(changes):,} changes in range {numbers})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--db", default="wr_release")
    parser.add_argument("--build", action="store_true", help="(re)build the database first")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--batch-rows", type=int, default=1_500_000, help="7 ranges at 10M, as the bench")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    server = local_db.system_server()
    dsn = build(server, args.db, args.size) if args.build else local_db.with_database(server, args.db)
    for _ in range(args.repeat):
        release(dsn, args.batch_rows, args.explain)


if __name__ == "__main__":
    main()
