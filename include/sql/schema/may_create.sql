-- Whether the current role may create tables in %(schema)s.
SELECT has_schema_privilege(%(schema)s, 'CREATE')
