-- The planned changes are written: drop them.
DROP TABLE inventory_change
