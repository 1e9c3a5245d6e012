-- Whether the current role owns %(table)s (or is a member of its owner).
SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = %(table)s::regclass
