-- About how many rows a table holds: the planner's estimate, or, for a table never vacuumed nor
-- analyzed, its size at 64 bytes a row (a smaller row than any of ours, so it errs high).
SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE pg_relation_size(c.oid) / 64 END::bigint
FROM pg_class AS c
WHERE c.oid = %(table)s::regclass
