-- Until the transaction ends, mark its writes to number_inventory as the pipeline's own (the
-- history triggers of migration 0012 skip them): the setting %(name)s holds the transaction's id.
SELECT set_config(%(name)s, pg_current_xact_id()::text, true)
