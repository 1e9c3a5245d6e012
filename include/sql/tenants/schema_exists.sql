-- Whether a tenant's schema exists.
SELECT to_regnamespace(%(schema)s) IS NOT NULL
