-- Insert the planned new numbers and record each in the history; run in this order, inside a
-- savepoint. A number someone inserted since the plan was made is left alone. Plain inserts in
-- number order are much cheaper than ON CONFLICT for a first load of a million numbers; should a
-- number be inserted by someone else between these statements, the unique key stops the insert and
-- the caller falls back to apply_inserts_on_conflict.sql.
DELETE FROM inventory_change AS c
WHERE c.is_new AND EXISTS (SELECT 1 FROM number_inventory AS n WHERE n.number = c.number);

INSERT INTO number_inventory (number, status, usage, vendor, tag, release_date)
SELECT number, status, usage, vendor, tag, release_date
FROM inventory_change
WHERE is_new
ORDER BY number;

INSERT INTO number_inventory_history (
    number, dag_id, run_id, run_day, reason, actor, note,
    before_status, before_usage, before_vendor, before_tag, before_release_date,
    after_status, after_usage, after_vendor, after_tag, after_release_date
)
SELECT c.number, %(dag_id)s, %(run_id)s, %(run_day)s, c.reason, %(actor)s, %(note)s,
       c.before_status, c.before_usage, c.before_vendor, c.before_tag, c.before_release_date,
       c.status, c.usage, c.vendor, c.tag, c.release_date
FROM inventory_change AS c
WHERE c.is_new
