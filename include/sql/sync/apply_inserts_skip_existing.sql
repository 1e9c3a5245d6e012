-- Insert the planned new numbers and record each in the history; run in this order, inside a
-- savepoint. A number someone inserted since the plan was made is left alone. Plain inserts in
-- number order are much cheaper than ON CONFLICT for a first load of a million numbers; should a
-- number be inserted by someone else between these statements, the unique key stops the insert and
-- the caller falls back to sync/apply_inserts_on_conflict.sql.
DELETE FROM inventory_change AS c
WHERE c.is_new AND EXISTS (SELECT 1 FROM number_inventory AS n WHERE n.number = c.number)
