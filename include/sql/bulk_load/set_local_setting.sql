-- Set the server setting %(name)s to %(value)s until the transaction ends.
SELECT set_config(%(name)s, %(value)s, true)
