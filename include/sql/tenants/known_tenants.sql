-- The schemas of named tenants, by name.
SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %(prefix)s) ORDER BY nspname
