-- The daily run (release and audit) for the latest run day, with its summary: by run day, not by
-- when it finished, so a backfill run for an old day is never the one shown; of several runs for
-- that day, the one that finished last.
SELECT run_id, dag_id, run_day, finished_at, summary
FROM inventory_run
WHERE kind = 'daily'
ORDER BY run_day DESC, id DESC
LIMIT 1
