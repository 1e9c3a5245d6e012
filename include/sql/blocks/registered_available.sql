-- The Available numbers of the block that a kept read registers (an active binding): removing one
-- would only have the next sync add it back as Used. The first %(limit)s in number order with their
-- connections, and how many there are in all.
SELECT b.number, string_agg(r.connection_id, ', ' ORDER BY r.connection_id), count(*) OVER ()
FROM number_block AS b
JOIN number_inventory AS n USING (number)
JOIN audiocodes_registration AS r ON r.number = b.number AND r.active
WHERE n.status = 'Available'
GROUP BY b.number
ORDER BY b.number
LIMIT %(limit)s
