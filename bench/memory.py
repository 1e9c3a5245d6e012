"""How the reconcile's and the purge's memory grow with the inventory: ``python -m bench.memory``.

For each size it fills a database of its own with that many kept registrations (one connection,
made by SQL: no devices), then runs ``pipeline.sync`` (first load, then again with nothing changed)
and ``pipeline.daily`` (10% due) in fresh processes, and ``pipeline.purge`` of that connection while
a second one keeps every tenth number (``--cases``), once as one batch (the whole inventory in
pandas, as before planning by range) and once by number range (``batches.BATCH_ROWS``), and prints
each process's peak RSS and seconds. Untimed set-up; the seconds are for orientation only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import resource
import time
import uuid

from devtools import local_db
from number_inventory import pipeline, store
from number_inventory.store import RunInfo

DAY = dt.date(2026, 11, 2)
ONE_BATCH = 10**12

REGISTER = [
    "INSERT INTO audiocodes_read (connection_id, run_id, run_day, state) VALUES ('sbc', 'r', %(day)s, 'complete')",
    "INSERT INTO audiocodes_connection (connection_id, read_id, read_at) SELECT 'sbc', max(read_id), now() "
    "FROM audiocodes_read",
    "INSERT INTO audiocodes_registration (connection_id, number, active) "
    "SELECT 'sbc', (10000000000 + g)::text, true FROM generate_series(0, %(size)s - 1) AS g",
    "VACUUM ANALYZE",
]


# A second connection whose kept read registers every tenth number: the purge of the first keeps them.
SECOND_CONNECTION = [
    "INSERT INTO audiocodes_read (connection_id, run_id, run_day, state) VALUES ('sbc2', 'r', %(day)s, 'complete')",
    "INSERT INTO audiocodes_connection (connection_id, read_id, read_at) SELECT 'sbc2', max(read_id), now() "
    "FROM audiocodes_read WHERE connection_id = 'sbc2'",
    "INSERT INTO audiocodes_registration (connection_id, number, active) "
    "SELECT 'sbc2', (10000000000 + g)::text, true FROM generate_series(0, %(size)s - 1, 10) AS g",
    "VACUUM ANALYZE",
]
CASES = ("reconcile", "purge")
DESIGNS = {"one": "one batch", "range": "by range"}


def _step(kind: str, dsn: str, batch_rows: int, day: dt.date, queue) -> None:
    conn = local_db.connect(dsn)
    start = time.perf_counter()
    run = RunInfo(kind, f"{kind}-{uuid.uuid4().hex[:6]}", day)
    if kind == "daily":
        summary = pipeline.daily(conn, run, ["sbc"], 2, batch_rows=batch_rows)
    elif kind == "purge":
        summary = pipeline.purge(conn, run, "sbc", ["sbc2"], 2, batch_rows=batch_rows)
        summary["written"] = summary["cooled"]
    else:
        summary = pipeline.sync(conn, run, ["sbc"], 2, batch_rows=batch_rows)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put({"seconds": seconds, "rss": rss, "written": summary.get("written")})


def step(kind: str, dsn: str, batch_rows: int, day: dt.date = DAY) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_step, args=(kind, dsn, batch_rows, day, queue))
    proc.start()
    result = queue.get(timeout=3600)
    proc.join()
    return result


def measure(server: str, size: int, batch_rows: int, cases: tuple[str, ...] = CASES) -> dict:
    name = f"nibench_memory_{uuid.uuid4().hex[:6]}_{size}"
    dsn = local_db.with_database(server, name)
    try:
        with local_db.connect(dsn) as conn:
            store.migrate(conn)
            for statement in REGISTER:
                conn.execute(statement, {"size": size, "day": DAY})
        out = {"initial": step("sync", dsn, batch_rows)}
        if "reconcile" in cases:
            with local_db.connect(dsn) as conn:
                conn.execute("VACUUM ANALYZE")
            out["no_change"] = step("sync", dsn, batch_rows)
            with local_db.connect(dsn) as conn:
                # 10% of the numbers went away a cooling period ago: due today.
                conn.execute(
                    "UPDATE number_inventory SET status = 'Cooling', release_date = %s "
                    "WHERE right(number, 1) = '5'",
                    (DAY,),
                )
                conn.execute("UPDATE audiocodes_registration SET active = false WHERE right(number, 1) = '5'")
                conn.execute("VACUUM ANALYZE")
            out["release"] = step("daily", dsn, batch_rows)
        if "purge" in cases:
            with local_db.connect(dsn) as conn:
                for statement in SECOND_CONNECTION:
                    conn.execute(statement, {"size": size, "day": DAY})
            out["purge"] = step("purge", dsn, batch_rows)
        return out
    finally:
        local_db.drop_database(server, name)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,2000000,4000000")
    parser.add_argument(
        "--batch-rows", type=int, default=None, help="by range: rows per batch (default BATCH_ROWS)"
    )
    parser.add_argument(
        "--cases", default=",".join(CASES), help="reconcile (first load, no change, release), purge"
    )
    parser.add_argument("--designs", default=",".join(DESIGNS), help="one (one batch), range (by range)")
    args = parser.parse_args()
    cases = tuple(args.cases.split(","))
    designs = [DESIGNS[d] for d in args.designs.split(",")]
    server = local_db.system_server()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        for label, rows in (("one batch", ONE_BATCH), ("by range", args.batch_rows or 0)):
            if label not in designs:
                continue
            figures = measure(server, size, rows or None, cases)
            results.append({"size": size, "design": label, **figures})
            cells = ", ".join(
                f"{case} {f['rss'] / 2**20:,.0f} MB {f['seconds']:.1f} s ({f['written']:,} rows)"
                for case, f in figures.items()
            )
            print(f"{size:>11,} {label:<9} {cells}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
