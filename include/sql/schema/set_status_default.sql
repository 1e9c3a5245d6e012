-- Adopting a table: status gets the default the first migration gives it.
ALTER TABLE {table} ALTER COLUMN status SET DEFAULT 'Available'
