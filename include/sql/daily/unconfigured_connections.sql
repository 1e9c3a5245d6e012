-- Connections with a kept read that are not configured (not in %(configured)s), with how many
-- numbers their kept read still registers: they keep registering them until purged.
SELECT c.connection_id, count(r.number) FILTER (WHERE r.active) AS numbers
FROM audiocodes_connection AS c
LEFT JOIN audiocodes_registration AS r ON r.connection_id = c.connection_id
WHERE c.connection_id <> ALL(%(configured)s::text[])
GROUP BY c.connection_id
ORDER BY c.connection_id
