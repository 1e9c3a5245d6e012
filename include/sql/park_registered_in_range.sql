-- The new numbers of a range the inventory holds none of (inventory_holds_range.sql), planned in the
-- database: each number with an active binding in any kept read, once, as the transition table plans a
-- registered number not in the inventory (transitions.plan_sync: reason 'registered', Used, Device,
-- AudioCodes, no Tag, no release date, no before-values). Parked with the other new numbers
-- (park_new_changes.sql) until store.ChangeWriter.finish inserts them all; the rows never travel to
-- the client and back. Returns one row per number parked.
INSERT INTO inventory_new_change (number, reason, is_new, status, usage, vendor)
SELECT DISTINCT number, 'registered', true, 'Used', 'Device', 'AudioCodes'
FROM (
    SELECT number FROM audiocodes_registration
    WHERE active
      AND number >= greatest(%(low)s::text COLLATE "C", ',')
      AND (%(high)s::text IS NULL OR number < %(high)s::text)
    UNION ALL
    SELECT number FROM audiocodes_registration
    WHERE active
      AND number >= '+' || coalesce(%(low)s::text, '')
      AND number < coalesce('+' || %(high)s::text, ',')
) AS part
