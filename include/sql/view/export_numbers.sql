-- The inventory rows matching {where} as CSV with a header, in number order, streamed from the
-- primary key: the server sends row by row and nothing holds the whole result.
COPY (
    SELECT number, status, usage, vendor, tag, release_date, site, label, updated_at
    FROM number_inventory
    WHERE {where}
    ORDER BY number COLLATE "C"
) TO STDOUT WITH (FORMAT csv, HEADER)
