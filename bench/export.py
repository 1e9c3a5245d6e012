"""How fast the CSV export streams and in how much memory: ``python -m bench.export``.

For each size it fills a database of its own with that many inventory rows (by SQL; the history and
count triggers are off there, only the export is measured), then exports every row with
``exports.export_csv`` in a fresh process, in the read-only transaction the API server's
``/api/numbers.csv`` uses, and prints rows per second, the process's peak RSS and how much of it the
export added (peak RSS less the RSS before the export began). With ``--trace`` it also prints the
Python heap's peak during the export (``tracemalloc``; slower). Bounded memory shows as the same
added RSS at every size. Issue 25's target, ten million rows::

    python -m bench.export --rows 10000000

``make bench-export`` runs 1M; CI runs 20k and 200k through tests/number_inventory/test_exports.py.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
import uuid
from typing import Any

from devtools import local_db
from number_inventory import store

FILL = [
    "ALTER TABLE number_inventory DISABLE TRIGGER USER",
    "INSERT INTO number_inventory (number, status, vendor, tag, site, label) "
    "SELECT '+49' || (3010000000 + g)::text, "
    "(ARRAY['Available', 'Used', 'Reserved', 'Cooling'])[1 + g %% 4], "
    "CASE WHEN g %% 4 = 1 THEN 'AudioCodes' END, CASE WHEN g %% 10 = 0 THEN 'tag, with a comma' END, "
    "'site-' || (g %% 7)::text, CASE WHEN g %% 3 = 0 THEN 'block \"' || (g / 1000)::text || '\"' END "
    "FROM generate_series(0, %(rows)s - 1) AS g",
    "ALTER TABLE number_inventory ENABLE TRIGGER USER",
    "VACUUM ANALYZE number_inventory",
]


def fill(dsn: str, rows: int) -> None:
    """``rows`` inventory rows, numbers ``+493010000000`` on, of every status, some labels quoted."""
    with local_db.connect(dsn) as conn:
        store.migrate(conn)
        for statement in FILL:
            conn.execute(statement, {"rows": rows})


def _export(dsn: str, wanted: dict[str, Any], trace: bool, queue: Any) -> None:
    from number_inventory import exports, views

    conn = local_db.connect(dsn)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if trace:
        import tracemalloc

        tracemalloc.start()
    started = time.perf_counter()
    lines = size = 0
    with views.reading(conn, timeout_ms=exports.EXPORT_TIMEOUT_MS):
        for chunk in exports.export_csv(conn, exports.NumberFilter.parse(**wanted)):
            lines += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put(
        {
            "rows": lines - 1,  # the header; no value of the fill holds a line break
            "bytes": size,
            "seconds": seconds,
            "rows_per_second": (lines - 1) / seconds if seconds else None,
            "rss": rss,
            "rss_added": rss - before,
            "traced_peak": traced,
        }
    )


def export(dsn: str, wanted: dict[str, Any] | None = None, *, trace: bool = False) -> dict[str, Any]:
    """Export what ``wanted`` (``NumberFilter.parse``'s parameters) matches in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_export, args=(dsn, wanted or {}, trace, queue))
    proc.start()
    result = queue.get(timeout=3600)
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="100000,1000000", help="sizes, comma-separated")
    parser.add_argument("--trace", action="store_true", help="also the Python heap's peak (slower)")
    args = parser.parse_args()
    server = local_db.system_server()
    results = []
    for rows in (int(s) for s in args.rows.split(",")):
        name = f"nibench_export_{uuid.uuid4().hex[:6]}_{rows}"
        dsn = local_db.with_database(server, name)
        try:
            fill(dsn, rows)
            figures = export(dsn, trace=args.trace)
        finally:
            local_db.drop_database(server, name)
        results.append({"size": rows, **figures})
        traced = f", heap peak {figures['traced_peak'] / 2**20:,.1f} MB" if args.trace else ""
        print(
            f"{rows:>11,} rows: {figures['seconds']:.1f} s, {figures['rows_per_second']:,.0f} rows/s, "
            f"{figures['bytes'] / 2**20:,.0f} MB of CSV, peak RSS {figures['rss'] / 2**20:,.0f} MB "
            f"(+{figures['rss_added'] / 2**20:,.1f} MB during the export){traced}",
            flush=True,
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
