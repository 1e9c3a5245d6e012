-- The inventory rows of the given numbers (a manual action's, at most a few thousand), as
-- sync/load_inventory.sql gives them: empty values as '' and dates as YYYY-MM-DD. Numbers not in the
-- inventory are simply missing.
SELECT number, status, coalesce(usage, ''), coalesce(vendor, ''), coalesce(tag, ''),
       coalesce(to_char(release_date, 'YYYY-MM-DD'), '')
FROM number_inventory
WHERE number = ANY(%(numbers)s::text[])
