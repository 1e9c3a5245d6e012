-- The daily run (release and audit) that finished last, with its summary.
SELECT run_id, dag_id, run_day, finished_at, summary
FROM inventory_run
WHERE kind = 'daily'
ORDER BY id DESC
LIMIT 1
