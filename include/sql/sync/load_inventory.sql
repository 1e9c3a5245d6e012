-- The inventory for pandas, column by column: each aggregate is one column's values joined by NUL
-- bytes (which text cannot hold), empty values as '' and dates as YYYY-MM-DD. The client receives a
-- few large values instead of a message per row, several times faster than COPY. Each result row
-- covers a range of 1024 table pages (a TID range scan), so that no value nears PostgreSQL's 1 GB
-- limit and the client splits one range while the server aggregates the next (the rows are
-- streamed); the aggregates of a row see the same rows in the same order; one statement, one
-- snapshot.
SELECT part.*
FROM generate_series(0, pg_relation_size('number_inventory') / current_setting('block_size')::int, 1024)
    AS chunk (first_page)
CROSS JOIN LATERAL (
    SELECT string_agg(textsend(number), '\x00'::bytea),
           string_agg(textsend(status), '\x00'::bytea),
           string_agg(textsend(coalesce(usage, '')), '\x00'::bytea),
           string_agg(textsend(coalesce(vendor, '')), '\x00'::bytea),
           string_agg(textsend(coalesce(tag, '')), '\x00'::bytea),
           string_agg(textsend(coalesce(to_char(release_date, 'YYYY-MM-DD'), '')), '\x00'::bytea)
    FROM number_inventory
    WHERE ctid >= ('(' || chunk.first_page || ',0)')::tid
      AND ctid < ('(' || chunk.first_page + 1024 || ',0)')::tid
) AS part
