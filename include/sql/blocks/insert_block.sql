-- Add the block's numbers that are not in the inventory yet, and record each in the history with the
-- run, the reason, who asked and why (the transaction is marked as the pipeline's, so the history
-- triggers of migration 0012 leave these rows to this statement: one history row per number).
-- One statement: the history holds exactly the rows inserted.
WITH added AS (
    INSERT INTO number_inventory (number, status, site, label)
    SELECT b.number, b.status, b.site, b.label
    FROM number_block AS b
    WHERE NOT EXISTS (SELECT 1 FROM number_inventory AS n WHERE n.number = b.number)
    ORDER BY b.number
    RETURNING number, status, usage, vendor, tag, release_date
)
INSERT INTO number_inventory_history (
    number, dag_id, run_id, run_day, reason, actor, note,
    after_status, after_usage, after_vendor, after_tag, after_release_date
)
SELECT number, %(dag_id)s, %(run_id)s, %(run_day)s, %(reason)s, %(actor)s, %(note)s,
       status, usage, vendor, tag, release_date
FROM added
ORDER BY number
