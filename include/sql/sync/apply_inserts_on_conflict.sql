-- Insert the planned new numbers that are still missing and record each in the history (see
-- apply_inserts_*.sql, which are tried first): the history rows are those the insert returns.
WITH inserted AS (
    INSERT INTO number_inventory (number, status, usage, vendor, tag, release_date)
    SELECT number, status, usage, vendor, tag, release_date
    FROM inventory_change
    WHERE is_new
    ORDER BY number
    ON CONFLICT (number) DO NOTHING
    RETURNING number
)
INSERT INTO number_inventory_history (
    number, dag_id, run_id, run_day, reason, actor, note,
    before_status, before_usage, before_vendor, before_tag, before_release_date,
    after_status, after_usage, after_vendor, after_tag, after_release_date
)
SELECT c.number, %(dag_id)s, %(run_id)s, %(run_day)s, c.reason, %(actor)s, %(note)s,
       c.before_status, c.before_usage, c.before_vendor, c.before_tag, c.before_release_date,
       c.status, c.usage, c.vendor, c.tag, c.release_date
FROM inventory_change AS c
JOIN inserted USING (number)
