-- Write each canonical number with its merged values (inserted, or its row updated), and record the
-- change in the history (before: the canonical row as it was, if any), with the operator's note and
-- which spellings it was merged from or renamed from: a merge is on the record of the number it went
-- to even when that row's values stay as they were (both spellings Used by the device).
WITH old AS (
    SELECT n.number, n.status, n.usage, n.vendor, n.tag, n.release_date
    FROM number_inventory AS n JOIN canonical_target AS t ON t.number = n.number
),
written AS (
    INSERT INTO number_inventory AS n (number, status, usage, vendor, tag, release_date, site, label)
    SELECT number, status, usage, vendor, tag, release_date, site, label FROM canonical_target
    ON CONFLICT (number) DO UPDATE
    SET status = excluded.status, usage = excluded.usage, vendor = excluded.vendor, tag = excluded.tag,
        release_date = excluded.release_date, site = excluded.site, label = excluded.label,
        updated_at = now()
    RETURNING n.number, n.status, n.usage, n.vendor, n.tag, n.release_date
)
INSERT INTO number_inventory_history (
    number, dag_id, run_id, run_day, reason, actor, note,
    before_status, before_usage, before_vendor, before_tag, before_release_date,
    after_status, after_usage, after_vendor, after_tag, after_release_date
)
SELECT w.number, %(dag_id)s, %(run_id)s, %(run_day)s, %(reason)s, %(actor)s,
       t.detail,
       o.status, o.usage, o.vendor, o.tag, o.release_date,
       w.status, w.usage, w.vendor, w.tag, w.release_date
FROM written AS w
JOIN canonical_target AS t ON t.number = w.number
LEFT JOIN old AS o ON o.number = w.number
