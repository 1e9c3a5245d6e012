-- Adopting a table: updated_at gets the default the first migration gives it.
ALTER TABLE {table} ALTER COLUMN updated_at SET DEFAULT now()
