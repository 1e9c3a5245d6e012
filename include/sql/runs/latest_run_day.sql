-- The latest run day a run of %(kind)s has processed.
SELECT max(run_day) FROM inventory_run WHERE kind = %(kind)s
