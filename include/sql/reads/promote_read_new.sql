-- Part of keeping a read (promote_read_*.sql, run in the order of store.reads.PROMOTE_READ).
-- In index order: a first read of a large connection fills the indexes front to back.
INSERT INTO audiocodes_registration (connection_id, number, active, contacts)
SELECT %(connection_id)s, number, active, contacts
FROM read_registration
WHERE kept_active IS NULL
ORDER BY number
