-- The latest read of each connection made by one DAG run.
SELECT DISTINCT ON (connection_id) connection_id, read_id, state, error, bindings, numbers, skipped_aors
FROM audiocodes_read
WHERE run_id = %(run_id)s
ORDER BY connection_id, read_id DESC
