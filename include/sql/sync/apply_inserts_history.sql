-- Part of inserting new numbers (apply_inserts_*.sql, in the order of store.inventory.APPLY_INSERTS).
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
