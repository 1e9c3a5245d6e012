-- The inventory rows of the given numbers with every value a merge carries over, as stored.
SELECT number, status, usage, vendor, tag, release_date, site, label
FROM number_inventory
WHERE number = ANY(%(numbers)s::text[])
