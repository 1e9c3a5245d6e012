-- Part of keeping a read (promote_read_*.sql, run in the order of store.reads.PROMOTE_READ).
-- Gone: not in this read, and not registered in the kept read or missed by enough reads now.
DELETE FROM audiocodes_registration AS kept
USING read_registration AS r
WHERE kept.connection_id = %(connection_id)s AND kept.number = r.number AND r.active IS NULL
  AND (NOT r.kept_active OR r.kept_missed + 1 >= %(absent_reads)s)
