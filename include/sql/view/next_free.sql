-- The first %(limit)s Available numbers matching {where} (a tenant's site, a range or a prefix), in
-- number order: an index scan of the primary key in order from the range's low end, stopping at
-- %(limit)s rows (no sort, no scan of the whole table). Reads only; reserves nothing.
SELECT number
FROM number_inventory
WHERE status = 'Available' AND {where}
ORDER BY number COLLATE "C"
LIMIT %(limit)s
