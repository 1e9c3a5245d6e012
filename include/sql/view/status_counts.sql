-- Inventory rows by vendor and status, for the view's counts: the sums of the counts the database
-- keeps (migration 0015), a few thousand rows however large the inventory.
SELECT vendor, status, sum(numbers)::bigint AS numbers
FROM number_inventory_count
GROUP BY vendor, status
HAVING sum(numbers) <> 0
