-- Remove the block's Available numbers, and record each removal in the history (after_status NULL:
-- the row is gone, as the history triggers of migration 0012 record a DELETE) with the run, the
-- reason, who asked and why. One statement: the history holds exactly the rows deleted.
WITH gone AS (
    DELETE FROM number_inventory AS n
    USING number_block AS b
    WHERE n.number = b.number AND n.status = 'Available'
    RETURNING n.number, n.status, n.usage, n.vendor, n.tag, n.release_date
)
INSERT INTO number_inventory_history (
    number, dag_id, run_id, run_day, reason, actor, note,
    before_status, before_usage, before_vendor, before_tag, before_release_date
)
SELECT number, %(dag_id)s, %(run_id)s, %(run_day)s, %(reason)s, %(actor)s, %(note)s,
       status, usage, vendor, tag, release_date
FROM gone
ORDER BY number
