-- A reconcile by number range keeps the new numbers of every range aside until all are planned, so
-- they are inserted together (ChangeWriter.finish): the change table becomes their pending table.
ALTER TABLE inventory_change RENAME TO inventory_new_change
