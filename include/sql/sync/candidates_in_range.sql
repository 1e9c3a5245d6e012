-- The rows of one number range (as in sync/load_inventory_in_range.sql; NULL bounds: everything) that a
-- reconcile can change or report, and the registered numbers it needs beside them. For the sync
-- (%(daily)s false; transitions.sync_candidates says which, in pandas): registered numbers that are
-- not in the inventory, registered numbers whose row is not Used/Device/AudioCodes, and AudioCodes
-- Used numbers that are not registered. For the daily run (%(daily)s true;
-- transitions.daily_candidates) also every AudioCodes row that is not Used (cooling ones are released
-- or recounted), every vendor that may be AudioCodes spelled otherwise (not 'AudioCodes' or empty,
-- and holding 'audiocodes' in any case or a character that is not ASCII: a superset the audit then
-- decides exactly), and both spellings of a number ('14155550100' and '+14155550100'). Every other
-- row is a fixed point: its number is not sent. One row: the range's inventory rows and distinct
-- registered numbers counted; the registered numbers not in the inventory; then the inventory rows
-- that can change, column by column (NUL-joined aggregates, as in sync/load_inventory.sql), with whether
-- each is registered ('t'/'f').
--
-- Each side is read from its key alone (index-only scans, migration 0014): the inventory's key
-- carries status, usage and vendor, the registrations' carries active. The two ordered scans meet in
-- a merge join, the bare numbers and the '+' numbers each on their own. Numbers are digits with an
-- optional leading '+' (both tables' rule), so the bare ones are those from ',' (the character after
-- '+') on. Tag and release date are looked up for the candidates only (a FILTER skips the others'
-- arguments). Both spellings of a number share a range (batches.range_key); the bare numbers of a
-- range are few in an inventory kept in E.164, and each is looked up with a '+' (`twice`).
WITH bare AS MATERIALIZED (
    SELECT number FROM number_inventory
    WHERE %(daily)s
      AND number >= greatest(%(low)s::text COLLATE "C", ',')
      AND (%(high)s::text IS NULL OR number < %(high)s::text)
    UNION
    SELECT number FROM audiocodes_registration
    WHERE %(daily)s AND active
      AND number >= greatest(%(low)s::text COLLATE "C", ',')
      AND (%(high)s::text IS NULL OR number < %(high)s::text)
),
twice AS MATERIALIZED (
    SELECT b.number AS bare, '+' || b.number AS plus
    FROM bare AS b
    WHERE EXISTS (SELECT FROM number_inventory AS n WHERE n.number = '+' || b.number)
       OR EXISTS (SELECT FROM audiocodes_registration AS r WHERE r.number = '+' || b.number AND r.active)
)
SELECT count(c.inventory_number),
       count(c.registered_number),
       string_agg(textsend(c.registered_number), '\x00'::bytea) FILTER (WHERE c.inventory_number IS NULL),
       string_agg(textsend(c.inventory_number), '\x00'::bytea) FILTER (WHERE c.candidate),
       string_agg(textsend(CASE WHEN c.registered_number IS NULL THEN 'f' ELSE 't' END), '\x00'::bytea)
           FILTER (WHERE c.candidate),
       string_agg(textsend(c.status), '\x00'::bytea) FILTER (WHERE c.candidate),
       string_agg(textsend(coalesce(c.usage, '')), '\x00'::bytea) FILTER (WHERE c.candidate),
       string_agg(textsend(coalesce(c.vendor, '')), '\x00'::bytea) FILTER (WHERE c.candidate),
       string_agg(textsend(coalesce(
           (SELECT n.tag FROM number_inventory AS n WHERE n.number = c.inventory_number), '')), '\x00'::bytea)
           FILTER (WHERE c.candidate),
       string_agg(textsend(coalesce(
           (SELECT to_char(n.release_date, 'YYYY-MM-DD') FROM number_inventory AS n
            WHERE n.number = c.inventory_number), '')), '\x00'::bytea)
           FILTER (WHERE c.candidate)
FROM (
    SELECT inventory_number, registered_number, status, usage, vendor,
           CASE WHEN inventory_number IS NULL THEN false
                WHEN registered_number IS NULL THEN status = 'Used' AND vendor = 'AudioCodes'
                ELSE status <> 'Used' OR usage IS DISTINCT FROM 'Device' OR vendor IS DISTINCT FROM 'AudioCodes'
           END
           OR (%(daily)s AND inventory_number IS NOT NULL AND (
               (vendor = 'AudioCodes' AND status <> 'Used')
               OR (coalesce(vendor, '') NOT IN ('', 'AudioCodes')
                   AND (vendor ILIKE '%%audiocodes%%' OR octet_length(vendor) <> char_length(vendor)))
               OR (EXISTS (SELECT FROM twice)
                   AND (inventory_number IN (SELECT bare FROM twice)
                        OR inventory_number IN (SELECT plus FROM twice))))) AS candidate
    FROM (
        SELECT i.number AS inventory_number, r.number AS registered_number, i.status, i.usage, i.vendor
        FROM (
            SELECT number, status, usage, vendor FROM number_inventory
            WHERE number >= greatest(%(low)s::text COLLATE "C", ',')
              AND (%(high)s::text IS NULL OR number < %(high)s::text)
        ) AS i
        FULL JOIN (
            SELECT DISTINCT number FROM audiocodes_registration
            WHERE active
              AND number >= greatest(%(low)s::text COLLATE "C", ',')
              AND (%(high)s::text IS NULL OR number < %(high)s::text)
        ) AS r ON r.number = i.number
        UNION ALL
        SELECT i.number, r.number, i.status, i.usage, i.vendor
        FROM (
            SELECT number, status, usage, vendor FROM number_inventory
            WHERE number >= '+' || coalesce(%(low)s::text, '')
              AND number < coalesce('+' || %(high)s::text, ',')
        ) AS i
        FULL JOIN (
            SELECT DISTINCT number FROM audiocodes_registration
            WHERE active
              AND number >= '+' || coalesce(%(low)s::text, '')
              AND number < coalesce('+' || %(high)s::text, ',')
        ) AS r ON r.number = i.number
    ) AS joined
    OFFSET 0  -- a fence: `candidate` is computed once per row, not once per aggregate that filters on it
) AS c
