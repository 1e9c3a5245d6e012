-- The daily report's rows of the days from %(first)s to %(last)s, for the view's trend and for
-- reading a report back (pipeline.read_report).
SELECT day, measure, key, numbers, sample, as_of, computed_at
FROM number_inventory_daily_report
WHERE day BETWEEN %(first)s AND %(last)s
ORDER BY day, measure, key
