-- Inside the caller's transaction, under the day's report lock: drop the report of %(day)s before it
-- is written again (report_daily.sql).
DELETE FROM number_inventory_daily_report WHERE day = %(day)s
