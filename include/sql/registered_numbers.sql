-- Numbers with an active binding in the kept read of any of the given connections (a number kept
-- by several connections comes once per connection), NUL-joined as in load_inventory.sql.
SELECT string_agg(convert_to(number, 'UTF8'), '\x00'::bytea)
FROM audiocodes_registration
WHERE active AND connection_id = ANY(%(connection_ids)s)
GROUP BY (ctid::text::point)[0]::bigint / 8192
