-- The inventory as the history says it was just before %(moment)s: for each number its latest change
-- made before then (changed_at), its after-values, numbers whose latest change deleted them left
-- out, in number order (history/history_replay.sql up to a moment).
SELECT number, after_status, after_usage, after_vendor, after_tag, after_release_date
FROM (
    SELECT DISTINCT ON (number) *
    FROM number_inventory_history
    WHERE changed_at < %(moment)s
    ORDER BY number, id DESC
) AS last
WHERE after_status IS NOT NULL
ORDER BY number
