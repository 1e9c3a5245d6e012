-- Statistics of the planned new numbers, so that the apply_inserts_*.sql statements join them well
-- (sync/apply_updates.sql needs none: see store.inventory.UPDATE_PLAN).
ANALYZE inventory_change
