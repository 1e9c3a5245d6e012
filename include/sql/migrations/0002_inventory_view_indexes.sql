-- Indexes for the Number Inventory view (plugins/number_inventory_view.py), so that each of its pages
-- is one bounded index range however large the inventory. Numbers are ordered in the "C" collation:
-- there a number prefix is a plain index range, whatever the database's collation (a linguistic
-- collation ignores '+' when sorting, and LIKE 'prefix%' cannot use its index).
CREATE INDEX IF NOT EXISTS number_inventory_number_c ON number_inventory (number COLLATE "C");
CREATE INDEX IF NOT EXISTS number_inventory_status_number_c ON number_inventory (status, number COLLATE "C");

-- The cooling queue in release order, the number breaking ties and serving the prefix filter.
CREATE INDEX IF NOT EXISTS number_inventory_cooling_queue ON number_inventory (release_date, number COLLATE "C")
    WHERE status = 'Cooling';
