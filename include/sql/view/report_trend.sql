-- The daily report's totals, statuses and events of the days from %(first)s to %(last)s (migration
-- 0018), for the view's trend: a few rows per day, read by the primary key's range.
SELECT day, measure, key, numbers, as_of, computed_at
FROM number_inventory_daily_report
WHERE day BETWEEN %(first)s AND %(last)s
  AND measure IN ('total', 'status', 'event')
ORDER BY day, measure, key
