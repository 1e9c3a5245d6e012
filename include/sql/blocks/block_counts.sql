-- How many numbers of the block are in the inventory already, and how many of those are not Available.
SELECT count(*), count(*) FILTER (WHERE n.status <> 'Available')
FROM number_block AS b
JOIN number_inventory AS n USING (number)
