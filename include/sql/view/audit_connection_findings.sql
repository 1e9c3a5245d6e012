-- What one audit run found about whole connections (stale or unconfigured ones, releases withheld),
-- at most %(limit)s of them: a few per connection.
SELECT id, connection_id, "check", numbers, message, found_at
FROM audit_connection_finding
WHERE run_day = %(run_day)s AND run_id = %(run_id)s
ORDER BY id
LIMIT %(limit)s
