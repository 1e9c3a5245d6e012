-- The connections whose kept read registers one number, active or not, when that read was made, and
-- the contacts it had (up to 5, as the device reported them; views.number_detail parses them).
SELECT r.connection_id, r.active, c.read_id, c.read_at, coalesce(r.contacts, '{}') AS contacts
FROM audiocodes_registration AS r
JOIN audiocodes_connection AS c USING (connection_id)
WHERE r.number = %(number)s
ORDER BY r.connection_id
