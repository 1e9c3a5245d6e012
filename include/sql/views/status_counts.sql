-- Inventory rows by vendor and status, for the view's counts (an index-only scan of
-- number_inventory_vendor when the table is vacuumed).
SELECT coalesce(vendor, '') AS vendor, status, count(*) AS numbers
FROM number_inventory
GROUP BY vendor, status
