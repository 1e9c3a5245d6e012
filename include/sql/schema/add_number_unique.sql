-- Adopting a table with a primary key of its own: numbers get a unique key beside it.
ALTER TABLE {table} ALTER COLUMN number SET NOT NULL, ADD UNIQUE (number)
