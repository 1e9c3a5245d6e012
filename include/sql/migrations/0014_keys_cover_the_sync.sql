-- The keys carry what the sync's selection reads (issue 15): sync_candidates_in_range.sql merges the
-- inventory's numbers with status, usage and vendor against the registered numbers, and with these
-- columns in the keys both sides are index-only scans in number order, without a visit to the
-- tables' rows. An extra index would cost every write an entry; a key that carries the columns
-- costs a few bytes an entry. Status was indexed before 0007 too, so a status change was not a HOT
-- update then either.
--
-- An adopted inventory whose primary key is not the number alone keeps its keys: the sync reads the
-- same rows from the table then, only more slowly.
DO $$
DECLARE
    key text;
BEGIN
    SELECT c.conname INTO key
    FROM pg_constraint AS c
    JOIN pg_index AS i ON i.indexrelid = c.conindid
    JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE c.conrelid = 'number_inventory'::regclass AND c.contype = 'p'
      AND i.indnatts = 1 AND a.attname = 'number'
      AND NOT EXISTS (SELECT 1 FROM pg_constraint AS f WHERE f.contype = 'f' AND f.conindid = i.indexrelid);
    IF key IS NOT NULL THEN
        EXECUTE format('ALTER TABLE number_inventory DROP CONSTRAINT %I, '
                       'ADD CONSTRAINT %I PRIMARY KEY (number) INCLUDE (status, usage, vendor)', key, key);
    END IF;
END
$$;

ALTER TABLE audiocodes_registration
    DROP CONSTRAINT audiocodes_registration_pkey,
    ADD CONSTRAINT audiocodes_registration_pkey PRIMARY KEY (number, connection_id) INCLUDE (active);
