-- The columns a replay of the history reproduces (history.REPLAYED), in number order.
SELECT number, status, usage, vendor, tag, release_date
FROM number_inventory
ORDER BY number
