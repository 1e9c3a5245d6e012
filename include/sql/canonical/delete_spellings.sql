-- Delete the old spellings (planned under the inventory lock) and record each deletion in the
-- history: after_* NULL, and as its note the operator's and what it was merged into or renamed to.
WITH deleted AS (
    DELETE FROM number_inventory AS n
    USING canonical_move AS m
    WHERE n.number = m.number
    RETURNING n.number, n.status, n.usage, n.vendor, n.tag, n.release_date, m.detail
)
INSERT INTO number_inventory_history (
    number, dag_id, run_id, run_day, reason, actor, note,
    before_status, before_usage, before_vendor, before_tag, before_release_date
)
SELECT number, %(dag_id)s, %(run_id)s, %(run_day)s, %(reason)s, %(actor)s,
       detail,
       status, usage, vendor, tag, release_date
FROM deleted
