-- The inventory as the history says it is: for each number its latest change's after-values,
-- numbers whose latest change deleted them left out, in number order.
SELECT number, after_status, after_usage, after_vendor, after_tag, after_release_date
FROM (SELECT DISTINCT ON (number) * FROM number_inventory_history ORDER BY number, id DESC) AS last
WHERE after_status IS NOT NULL
ORDER BY number
