-- The inventory rows of the purged numbers (purged_number, see purge/create_purged_table.sql) of one
-- number range, column by column as in sync/load_inventory.sql: all a purge plans from, instead of the
-- whole inventory.
SELECT string_agg(textsend(i.number), '\x00'::bytea),
       string_agg(textsend(i.status), '\x00'::bytea),
       string_agg(textsend(coalesce(i.usage, '')), '\x00'::bytea),
       string_agg(textsend(coalesce(i.vendor, '')), '\x00'::bytea),
       string_agg(textsend(coalesce(i.tag, '')), '\x00'::bytea),
       string_agg(textsend(coalesce(to_char(i.release_date, 'YYYY-MM-DD'), '')), '\x00'::bytea)
FROM purged_number AS p
JOIN number_inventory AS i ON i.number = p.number
WHERE (left(p.number, 1) <> '+'
       AND (%(low)s::text IS NULL OR p.number >= %(low)s::text)
       AND (%(high)s::text IS NULL OR p.number < %(high)s::text))
   OR (p.number >= '+' || coalesce(%(low)s::text, '')
       AND p.number < coalesce('+' || %(high)s::text, ','))
