-- Numbers with an active binding in any kept read, of one number range (as in
-- sync/load_inventory_in_range.sql); a number kept by several connections comes once per connection.
SELECT string_agg(textsend(number), '\x00'::bytea)
FROM (
    SELECT number FROM audiocodes_registration
    WHERE active AND left(number, 1) <> '+'
      AND (%(low)s::text IS NULL OR number >= %(low)s::text)
      AND (%(high)s::text IS NULL OR number < %(high)s::text)
    UNION ALL
    SELECT number FROM audiocodes_registration
    WHERE active
      AND number >= '+' || coalesce(%(low)s::text, '')
      AND number < coalesce('+' || %(high)s::text, ',')
) AS part
