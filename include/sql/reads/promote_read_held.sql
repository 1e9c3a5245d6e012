-- Part of keeping a read (promote_read_*.sql, run in the order of store.reads.PROMOTE_READ).
-- Held: registered in the kept read, not in this one, and not yet missed by enough reads.
UPDATE audiocodes_registration AS kept
SET missed = r.kept_missed + 1
FROM read_registration AS r
WHERE kept.connection_id = %(connection_id)s AND kept.number = r.number
  AND r.kept_active AND r.active IS NOT TRUE AND r.kept_missed + 1 < %(absent_reads)s
