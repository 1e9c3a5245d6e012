-- The indexes of a table that a bulk insert can drop and build again: its plain indexes and the
-- indexes of its primary key and unique constraints that no foreign key refers to. Each comes with
-- the statements that drop and rebuild it, keys first; names are qualified and quoted as needed
-- (a doubled percent sign is one of format(): the query takes parameters).
SELECT CASE WHEN c.oid IS NULL
            THEN format('DROP INDEX %%s', i.indexrelid::regclass)
            ELSE format('ALTER TABLE %%s DROP CONSTRAINT %%I', i.indrelid::regclass, c.conname)
       END AS drop_statement,
       CASE WHEN c.oid IS NULL
            THEN pg_get_indexdef(i.indexrelid)
            ELSE format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', i.indrelid::regclass, c.conname,
                        pg_get_constraintdef(c.oid))
       END AS build_statement
FROM pg_index AS i
LEFT JOIN pg_constraint AS c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
WHERE i.indrelid = %(table)s::regclass
  AND (c.oid IS NULL OR c.contype IN ('p', 'u'))
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
ORDER BY c.oid IS NULL, i.indexrelid
