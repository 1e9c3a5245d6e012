-- The rows of one number range (as in load_inventory_in_range.sql; NULL bounds: everything) that
-- the sync's transition table can change or report (transitions.sync_candidates says which, in
-- pandas): registered numbers that are not in the inventory, registered numbers whose row is not
-- Used/Device/AudioCodes, and AudioCodes Used numbers that are not registered. Every other row is a
-- fixed point of the table: its number is not sent. One row: the range's inventory rows and
-- distinct registered numbers counted; the registered numbers not in the inventory; then the
-- inventory rows that can change, column by column (NUL-joined aggregates, as in
-- load_inventory.sql), with whether each is registered ('t'/'f').
--
-- Each side is read from its key alone (index-only scans, migration 0014): the inventory's key
-- carries status, usage and vendor, the registrations' carries active. The two ordered scans meet in
-- a merge join, the bare numbers and the '+' numbers each on their own. Numbers are digits with an
-- optional leading '+' (both tables' rule), so the bare ones are those from ',' (the character after
-- '+') on. Tag and release date are looked up for the candidates only (a FILTER skips the others'
-- arguments).
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
    SELECT i.number AS inventory_number, r.number AS registered_number, i.status, i.usage, i.vendor,
           CASE WHEN i.number IS NULL THEN false
                WHEN r.number IS NULL THEN i.status = 'Used' AND i.vendor = 'AudioCodes'
                ELSE i.status <> 'Used' OR i.usage IS DISTINCT FROM 'Device'
                     OR i.vendor IS DISTINCT FROM 'AudioCodes'
           END AS candidate
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
    SELECT i.number, r.number, i.status, i.usage, i.vendor,
           CASE WHEN i.number IS NULL THEN false
                WHEN r.number IS NULL THEN i.status = 'Used' AND i.vendor = 'AudioCodes'
                ELSE i.status <> 'Used' OR i.usage IS DISTINCT FROM 'Device'
                     OR i.vendor IS DISTINCT FROM 'AudioCodes'
           END
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
) AS c
