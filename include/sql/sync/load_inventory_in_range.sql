-- The inventory rows of one number range (see include/number_inventory/batches.py), column by
-- column as in sync/load_inventory.sql. A range holds the numbers whose key, the number without one
-- leading '+', is at least %(low)s and below %(high)s (NULL: unbounded): the bare numbers in
-- [low, high) and the '+' numbers in ['+' || low, '+' || high); both are ranges of the key.
SELECT string_agg(textsend(number), '\x00'::bytea),
       string_agg(textsend(status), '\x00'::bytea),
       string_agg(textsend(coalesce(usage, '')), '\x00'::bytea),
       string_agg(textsend(coalesce(vendor, '')), '\x00'::bytea),
       string_agg(textsend(coalesce(tag, '')), '\x00'::bytea),
       string_agg(textsend(coalesce(to_char(release_date, 'YYYY-MM-DD'), '')), '\x00'::bytea)
FROM (
    SELECT * FROM number_inventory
    WHERE left(number, 1) <> '+'
      AND (%(low)s::text IS NULL OR number >= %(low)s::text)
      AND (%(high)s::text IS NULL OR number < %(high)s::text)
    UNION ALL
    SELECT * FROM number_inventory
    WHERE number >= '+' || coalesce(%(low)s::text, '')
      AND number < coalesce('+' || %(high)s::text, ',')
) AS part
