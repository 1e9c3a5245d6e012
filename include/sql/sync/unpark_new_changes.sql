-- Every range is planned: the pending new numbers become the change table that
-- apply_inserts_*.sql insert from.
ALTER TABLE inventory_new_change RENAME TO inventory_change
