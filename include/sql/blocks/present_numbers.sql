-- The first %(limit)s numbers of the block that are in the inventory (only those not Available when
-- %(not_available)s), in number order, with their state, for a refusal or a report to name.
SELECT n.number, n.status, n.usage, n.vendor
FROM number_block AS b
JOIN number_inventory AS n USING (number)
WHERE NOT %(not_available)s OR n.status <> 'Available'
ORDER BY n.number
LIMIT %(limit)s
