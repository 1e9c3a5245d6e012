-- Of the cooling numbers %(numbers)s that are due for release, each one last seen on one of the stale
-- connections %(stale)s, with that connection (a row per number and stale connection). "Last seen
-- on" as the view's cooling queue works it out from its exact records (ui_queries/cooling_queue.sql):
-- the connections whose kept read still holds the number (with inactive bindings only), else the
-- connections it left in the run of its latest departure (audiocodes_departure). A number with no
-- such record (it cooled before departures were recorded) is last seen on no connection here.
WITH due AS (
    SELECT DISTINCT number COLLATE "C" AS number FROM unnest(%(numbers)s::text[]) AS u (number)
),
seen AS (
    SELECT d.number, r.connection_id, 1 AS basis
    FROM due AS d
    JOIN audiocodes_registration AS r ON r.number = d.number
    UNION ALL
    SELECT d.number, l.connection_id, 2
    FROM due AS d
    JOIN audiocodes_departure AS l ON l.number = d.number
    WHERE l.run_id IS NOT DISTINCT FROM (
        SELECT latest.run_id FROM audiocodes_departure AS latest
        WHERE latest.number = d.number
        ORDER BY latest.left_at DESC
        LIMIT 1)
)
SELECT s.number, s.connection_id
FROM seen AS s
WHERE s.connection_id = ANY (%(stale)s::text[])
  AND s.basis = (SELECT min(t.basis) FROM seen AS t WHERE t.number = s.number)
ORDER BY s.number, s.connection_id
