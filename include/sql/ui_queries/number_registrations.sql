-- The connections whose kept read registers one number, active or not, and when that read was made.
SELECT r.connection_id, r.active, c.read_id, c.read_at
FROM audiocodes_registration AS r
JOIN audiocodes_connection AS c USING (connection_id)
WHERE r.number = %(number)s
ORDER BY r.connection_id
