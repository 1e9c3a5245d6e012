-- A row when %(table)s has a primary key (on any columns).
SELECT 1 FROM pg_constraint WHERE conrelid = %(table)s::regclass AND contype = 'p'
