-- Net change of the Used, Cooling and Available counts per day (in %(timezone)s) since %(since)s,
-- from the history: +1 for the status a row took, -1 for the one it left.
SELECT (h.changed_at AT TIME ZONE %(timezone)s)::date AS day, moved.status, sum(moved.delta)::bigint AS delta
FROM number_inventory_history AS h,
     LATERAL (VALUES (h.after_status, 1), (h.before_status, -1)) AS moved (status, delta)
WHERE h.changed_at >= %(since)s
  AND h.before_status IS DISTINCT FROM h.after_status
  AND moved.status IN ('Used', 'Cooling', 'Available')
GROUP BY 1, 2
