-- Adopting a table: the column updated_at, as the first migration creates it.
ALTER TABLE {table} ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()
