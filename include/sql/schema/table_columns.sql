-- The columns of %(table)s in their order: name, type, NOT NULL, has a default.
SELECT attname, format_type(atttypid, NULL), attnotnull, atthasdef
FROM pg_attribute
WHERE attrelid = %(table)s::regclass AND attnum > 0 AND NOT attisdropped
ORDER BY attnum
