-- Part of keeping a read (promote_read_*.sql, run in the order of store.reads.PROMOTE_READ).
-- Changed: in this read with another flag or other contacts than kept (unless held above), or back
-- after a miss.
UPDATE audiocodes_registration AS kept
SET active = r.active, missed = 0, contacts = r.contacts
FROM read_registration AS r
WHERE kept.connection_id = %(connection_id)s AND kept.number = r.number AND r.active IS NOT NULL
  AND (r.kept_active <> r.active OR r.kept_missed <> 0 OR r.kept_contacts IS DISTINCT FROM r.contacts)
  AND NOT (r.kept_active AND NOT r.active AND r.kept_missed + 1 < %(absent_reads)s)
