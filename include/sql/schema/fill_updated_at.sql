-- Adopting a table: rows without updated_at get the time of adoption (before the column is NOT NULL).
UPDATE {table} SET updated_at = now() WHERE updated_at IS NULL
