-- Numbers with an active binding in the kept read of any of the given connections, or of every
-- kept read when %(connection_ids)s is NULL (a number kept by several connections comes once per
-- connection), NUL-joined by ranges of pages as in sync/load_inventory.sql.
SELECT part.*
FROM generate_series(0, pg_relation_size('audiocodes_registration') / current_setting('block_size')::int, 1024)
    AS chunk (first_page)
CROSS JOIN LATERAL (
    SELECT string_agg(textsend(number), '\x00'::bytea)
    FROM audiocodes_registration
    WHERE active AND (%(connection_ids)s::text[] IS NULL OR connection_id = ANY(%(connection_ids)s::text[]))
      AND ctid >= ('(' || chunk.first_page || ',0)')::tid
      AND ctid < ('(' || chunk.first_page + 1024 || ',0)')::tid
) AS part
