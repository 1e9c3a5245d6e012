-- Which connections' kept reads register (an active binding) each of the given numbers. Every kept
-- read counts, configured or not: a connection dropped from the Variable keeps registering its
-- numbers until the purge DAG decommissions it.
SELECT number, connection_id
FROM audiocodes_registration
WHERE active AND number = ANY(%(numbers)s::text[])
ORDER BY number, connection_id
