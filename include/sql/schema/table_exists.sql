-- Whether %(table)s is visible on the search path.
SELECT to_regclass(%(table)s) IS NOT NULL
