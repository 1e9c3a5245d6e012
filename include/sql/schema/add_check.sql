-- Adopting a table: one of the first migration's checks, by its name.
ALTER TABLE {table} ADD CONSTRAINT {constraint} CHECK ({check})
