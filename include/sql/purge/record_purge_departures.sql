-- "Last seen on": every number the purged connection's kept read registered left it with this purge.
-- Run before the registrations are deleted.
INSERT INTO audiocodes_departure AS d (number, connection_id, how, run_id, last_read_id)
SELECT r.number, r.connection_id, 'purge', %(run_id)s, c.read_id
FROM audiocodes_registration AS r
JOIN audiocodes_connection AS c USING (connection_id)
WHERE r.connection_id = %(connection_id)s AND r.active
ON CONFLICT (number, connection_id) DO UPDATE
SET left_at = excluded.left_at, how = excluded.how, run_id = excluded.run_id, last_read_id = excluded.last_read_id
