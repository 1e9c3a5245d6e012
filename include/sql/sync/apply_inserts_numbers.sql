-- Part of inserting new numbers (apply_inserts_*.sql, in the order of store.inventory.APPLY_INSERTS).
INSERT INTO number_inventory (number, status, usage, vendor, tag, release_date)
SELECT number, status, usage, vendor, tag, release_date
FROM inventory_change
WHERE is_new
ORDER BY number
