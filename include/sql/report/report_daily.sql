-- The report of %(day)s as of its end, %(end)s (the day was %(start)s to %(end)s in %(timezone)s):
-- the inventory then, as the history says (each number's latest row with changed_at before the
-- day's end, deleted numbers left out: history/history_replay.sql up to that moment), and what changed
-- during the day. One INSERT of every row of the day; see migration 0018 for what each row means.
WITH latest AS (
    SELECT DISTINCT ON (number)
           number, after_status AS status, coalesce(after_usage, '') AS usage,
           coalesce(after_vendor, '') AS vendor, after_release_date AS release_date
    FROM number_inventory_history
    WHERE changed_at < %(end)s
    ORDER BY number, id DESC
),
held AS (
    SELECT * FROM latest WHERE status IS NOT NULL
),
changed AS (
    SELECT number, reason, before_status, after_status, actor
    FROM number_inventory_history
    WHERE changed_at >= %(start)s AND changed_at < %(end)s
),
events AS (
    SELECT DISTINCT e.event, c.number
    FROM changed AS c
    CROSS JOIN LATERAL (VALUES
        ('to_cooling', c.after_status = 'Cooling' AND c.before_status IS DISTINCT FROM 'Cooling'),
        ('back_online', c.before_status = 'Cooling' AND c.after_status = 'Used'),
        ('released', c.before_status = 'Cooling' AND c.after_status = 'Available'),
        ('by_action', c.actor IS NOT NULL),
        ('by_hand', c.reason IN ('hand_insert', 'hand_update', 'hand_delete'))
    ) AS e (event, happened)
    WHERE e.happened AND c.reason <> 'baseline'
),
ranked AS (
    SELECT event, number, row_number() OVER (PARTITION BY event ORDER BY number) AS n
    FROM events
),
report (measure, key, numbers, sample) AS (
    SELECT 'total', '', count(*), NULL::text[] FROM held
    UNION ALL
    SELECT 'status', s.status, count(h.number), NULL
    FROM unnest(%(statuses)s::text[]) AS s (status)
    LEFT JOIN held AS h ON h.status = s.status
    GROUP BY s.status
    UNION ALL
    -- A status the SPEC does not know (written by hand) is counted under its own name.
    SELECT 'status', status, count(*), NULL FROM held WHERE status <> ALL (%(statuses)s::text[]) GROUP BY status
    UNION ALL
    SELECT 'usage', usage, count(*), NULL FROM held GROUP BY usage
    UNION ALL
    SELECT 'vendor', vendor, count(*), NULL FROM held GROUP BY vendor
    UNION ALL
    SELECT 'event', e.event, count(r.number),
           coalesce(array_agg(r.number ORDER BY r.number) FILTER (WHERE r.n <= %(sample)s), '{}')
    FROM unnest(%(events)s::text[]) AS e (event)
    LEFT JOIN ranked AS r ON r.event = e.event
    GROUP BY e.event
    UNION ALL
    SELECT 'reason', reason, count(*), NULL FROM changed GROUP BY reason
    UNION ALL
    SELECT 'cooling_release', coalesce(release_date::text, ''), count(*), NULL
    FROM held WHERE status = 'Cooling' GROUP BY release_date
)
INSERT INTO number_inventory_daily_report (
    day, measure, key, numbers, sample, as_of, timezone, dag_id, run_id)
SELECT %(day)s, measure, key, numbers, sample, %(end)s, %(timezone)s, %(dag_id)s, %(run_id)s
FROM report
