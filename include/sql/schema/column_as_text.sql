-- Adopting a table: a character varying column becomes text (the lengths were the operator's).
ALTER TABLE {table} ALTER COLUMN {column} TYPE text
