-- Configured connections (%(configured)s) whose kept read completed more than %(max_age)s before
-- %(now)s (the project's clock; NULL: the database's now()), or that have no kept read at all
-- (read_at and age NULL), with how many numbers their kept read still holds Used: those stay Used
-- on the strength of an old read until the device is read again or purged.
WITH stale AS (
    SELECT c.connection_id, k.read_at, coalesce(%(now)s::timestamptz, now()) - k.read_at AS age
    FROM unnest(%(configured)s::text[]) AS c (connection_id)
    LEFT JOIN audiocodes_connection AS k ON k.connection_id = c.connection_id
    WHERE k.read_at IS NULL OR k.read_at < coalesce(%(now)s::timestamptz, now()) - %(max_age)s::interval
)
SELECT s.connection_id, s.read_at, s.age, (
    SELECT count(*)
    FROM audiocodes_registration AS r
    JOIN number_inventory AS i ON i.number = r.number AND i.status = 'Used'
    WHERE r.connection_id = s.connection_id AND r.active
) AS numbers
FROM stale AS s
ORDER BY s.connection_id
