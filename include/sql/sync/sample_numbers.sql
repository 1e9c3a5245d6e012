-- A sample of the numbers a reconcile loads (inventory and active kept registrations), about
-- %(percent)s percent of each table's pages, to choose number ranges of about equal size. REPEATABLE:
-- the same tables give the same ranges.
SELECT number FROM number_inventory TABLESAMPLE SYSTEM (%(percent)s) REPEATABLE (0)
UNION ALL
SELECT number FROM audiocodes_registration TABLESAMPLE SYSTEM (%(percent)s) REPEATABLE (0)
WHERE active
