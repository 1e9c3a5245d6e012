-- Two indexes that every write paid for and that each served one aggregate of the view (issue 4).
--
-- The counts by vendor and status read the whole inventory whichever way they go: an index-only
-- scan of (vendor, status) took 75 ms for a million rows, a scan of the table takes 150 ms. The
-- index cost a third of a second of every first load of a million numbers, and an entry for every
-- status change.
DROP INDEX IF EXISTS number_inventory_vendor;

-- The history is only ever appended to, so its rows lie on disk in the order of changed_at: a block
-- range index finds "changed since" as well as a B-tree, at a few pages instead of one entry per
-- change, built in one pass.
DROP INDEX IF EXISTS number_inventory_history_changed;
CREATE INDEX IF NOT EXISTS number_inventory_history_changed ON number_inventory_history USING brin (changed_at);
