-- The stage keeps what a read needs of each binding once it is counted: its number and whether it
-- is active. Reads count their distinct bindings and the AORs that are not numbers as the pages
-- stream in (store.StagedRead), so the AOR and contact text, two thirds of every staged row, and the
-- bindings without a number are no longer staged. Staged rows live only while their read runs.
DELETE FROM audiocodes_binding_stage WHERE number IS NULL;
ALTER TABLE audiocodes_binding_stage
    DROP COLUMN aor,
    DROP COLUMN contact,
    ALTER COLUMN number SET NOT NULL;

-- The cooling queue index (release_date, number) serves everything this one did.
DROP INDEX IF EXISTS number_inventory_cooling;
