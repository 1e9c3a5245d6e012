-- The purged numbers (purged_number, see purge/create_purged_table.sql) of one number range, as in
-- sync/load_inventory_in_range.sql, with 't' where another kept read registers the number, 'f' where none.
SELECT string_agg(textsend(number), '\x00'::bytea),
       string_agg(CASE WHEN elsewhere THEN '\x74'::bytea ELSE '\x66'::bytea END, '\x00'::bytea)
FROM purged_number
WHERE (left(number, 1) <> '+'
       AND (%(low)s::text IS NULL OR number >= %(low)s::text)
       AND (%(high)s::text IS NULL OR number < %(high)s::text))
   OR (number >= '+' || coalesce(%(low)s::text, '')
       AND number < coalesce('+' || %(high)s::text, ','))
