-- Numbers are compared byte by byte (the "C" collation) wherever they are kept. They are ASCII
-- digits with an optional '+', so this is the order the view shows and the one where a prefix is an
-- index range, whatever the database's collation. Comparisons in "C" are plain memcmp and sorts can
-- use abbreviated keys: a first load of a million numbers builds its number indexes and sorts its
-- rows in about half the time (issue 4). The inventory's key now serves the view's number order,
-- so its separate "C" index goes. Every number column changes together: an index serves a join or
-- a lookup only when both sides compare in the index's collation.
DROP INDEX IF EXISTS number_inventory_number_c;
ALTER TABLE number_inventory ALTER COLUMN number TYPE text COLLATE "C";
ALTER TABLE number_inventory_history ALTER COLUMN number TYPE text COLLATE "C";
ALTER TABLE audiocodes_registration ALTER COLUMN number TYPE text COLLATE "C";
ALTER TABLE audiocodes_binding_stage ALTER COLUMN number TYPE text COLLATE "C";
ALTER TABLE audit_finding ALTER COLUMN number TYPE text COLLATE "C";
