-- One page of the inventory in number order ("C" collation, so that a prefix is an index range).
-- The page's numbers come from an index-only scan; only those rows are read from the table. A page
-- after a number (keyset: {where} holds number > the last one shown) starts where that number is
-- in the index, so the last page of ten million costs what the first does; a deep offset skips
-- index entries.
WITH page AS (
    SELECT number
    FROM number_inventory
    WHERE {where}
    ORDER BY number COLLATE "C"
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT n.number, n.status, n.usage, n.vendor, n.tag, n.release_date, n.updated_at
FROM page
JOIN number_inventory AS n USING (number)
ORDER BY n.number COLLATE "C"
