-- Adopting a table: add a column the SPEC names and the table lacks, empty.
ALTER TABLE {table} ADD COLUMN {column} {type}
