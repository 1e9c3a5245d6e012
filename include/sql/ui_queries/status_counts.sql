-- Inventory rows by vendor and status, for the view's counts: one scan of the inventory (migration
-- 0007 says why no index serves it).
SELECT coalesce(vendor, '') AS vendor, status, count(*) AS numbers
FROM number_inventory
GROUP BY vendor, status
