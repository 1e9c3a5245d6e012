-- Net change of the Used, Cooling and Available counts per day (in %(timezone)s) since %(since)s,
-- from the counts the database keeps per quarter hour (migration 0015; a quarter hour lies within
-- one day in every time zone): +1 for the status a row took, -1 for the one it left.
SELECT (changed_at AT TIME ZONE %(timezone)s)::date AS day, status, sum(numbers)::bigint AS delta
FROM number_inventory_count
WHERE changed_at >= %(since)s
  AND status IN ('Used', 'Cooling', 'Available')
GROUP BY 1, 2
