-- What canonicalise_numbers left for an operator: the findings of each connection's latest run of it
-- that wrote (a run that accepted the connection's dial plan left none), at most %(limit)s. Runs are
-- few (one row of inventory_run each); the findings are found by their run day and run.
SELECT f.id, f.number, f."check", f.after ->> 'why' AS why, f.found_at, r.connection_id
FROM (
    SELECT DISTINCT ON (summary ->> 'connection_id') summary ->> 'connection_id' AS connection_id, run_day, run_id
    FROM inventory_run
    WHERE kind = 'action' AND summary ->> 'action' = 'canonicalise_numbers'
    ORDER BY summary ->> 'connection_id', id DESC
) AS r
JOIN audit_finding AS f ON f.run_day = r.run_day AND f.run_id = r.run_id
ORDER BY f.id
LIMIT %(limit)s
