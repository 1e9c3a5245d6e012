-- One inventory row.
SELECT number, status, usage, vendor, tag, release_date, updated_at
FROM number_inventory
WHERE number = %(number)s
