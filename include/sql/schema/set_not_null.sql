-- Adopting a table: a column the first migration makes NOT NULL.
ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL
