-- The name of a unique index of %(table)s on exactly its column number (the primary key first), if any.
SELECT i.indexrelid::regclass::text
FROM pg_index AS i
JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = %(table)s::regclass AND i.indisunique AND i.indnkeyatts = 1
  AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attname = 'number'
ORDER BY i.indisprimary DESC
LIMIT 1
