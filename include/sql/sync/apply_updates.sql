-- Write the planned updates of existing rows and record each in the history. An update lands only
-- where the row still holds the values the plan was made from (compare and set), so a concurrent
-- hand edit is never overwritten; the next run plans again from it. The history rows come from
-- what the update returns, so they are exactly the rows written. The changes of one number range
-- (%(low)s, %(high)s: see sync/load_inventory_in_range.sql; both NULL: everything) are looked up in that
-- range of the primary key only, not in the whole table: a reconcile by range writes each range's
-- changes, and a join with the whole table per range scanned it once per range. The changes are
-- taken in number order and each is looked up in the primary key (store.inventory.UPDATE_PLAN), so
-- that the updated rows, their new index entries and their history rows are written in key order,
-- each index page touched once.
WITH updated AS (
    UPDATE number_inventory AS n
    SET status = c.status, usage = c.usage, vendor = c.vendor, tag = c.tag,
        release_date = c.release_date, updated_at = now()
    FROM (SELECT * FROM inventory_change WHERE NOT is_new ORDER BY number) AS c
    WHERE n.number = c.number
      AND ((%(low)s::text IS NULL AND %(high)s::text IS NULL)
           OR (left(n.number, 1) <> '+'
               AND (%(low)s::text IS NULL OR n.number >= %(low)s::text)
               AND (%(high)s::text IS NULL OR n.number < %(high)s::text))
           OR (n.number >= '+' || coalesce(%(low)s::text, '')
               AND n.number < coalesce('+' || %(high)s::text, ',')))
      AND (n.status, nullif(n.usage, ''), nullif(n.vendor, ''), nullif(n.tag, ''), n.release_date)
          IS NOT DISTINCT FROM
          (c.before_status, c.before_usage, c.before_vendor, c.before_tag, c.before_release_date)
    RETURNING c.number, c.reason,
              c.before_status, c.before_usage, c.before_vendor, c.before_tag, c.before_release_date,
              c.status, c.usage, c.vendor, c.tag, c.release_date
)
INSERT INTO number_inventory_history (
    number, dag_id, run_id, run_day, reason, actor, note,
    before_status, before_usage, before_vendor, before_tag, before_release_date,
    after_status, after_usage, after_vendor, after_tag, after_release_date
)
SELECT number, %(dag_id)s, %(run_id)s, %(run_day)s, reason, %(actor)s, %(note)s,
       before_status, before_usage, before_vendor, before_tag, before_release_date,
       status, usage, vendor, tag, release_date
FROM updated
