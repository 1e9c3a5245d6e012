-- Part of keeping a read (promote_read_*.sql, run in the order of store.reads.PROMOTE_READ).
-- Departures ("last seen on"): registered in the kept read, and no longer once this read is kept
-- (gone, or only inactive bindings left, and missed by enough reads). The kept read that still had
-- them is the connection's previous complete read (a read is complete only once kept).
INSERT INTO audiocodes_departure AS d (number, connection_id, how, run_id, last_read_id)
SELECT r.number, %(connection_id)s, 'read',
       (SELECT run_id FROM audiocodes_read WHERE read_id = %(read_id)s),
       (SELECT max(read_id) FROM audiocodes_read
        WHERE connection_id = %(connection_id)s AND state = 'complete' AND read_id < %(read_id)s)
FROM read_registration AS r
WHERE r.kept_active AND r.active IS NOT TRUE AND r.kept_missed + 1 >= %(absent_reads)s
ON CONFLICT (number, connection_id) DO UPDATE
SET left_at = excluded.left_at, how = excluded.how, run_id = excluded.run_id, last_read_id = excluded.last_read_id
