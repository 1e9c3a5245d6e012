-- Make a complete read the connection's kept read: its registrations replace the previous ones.
-- Only the difference is written (a steady read changes a few rows, not all of them). Upserting the
-- connection's row first also holds that row until commit, so two promotions of one connection
-- cannot interleave (lock order: the read's row, the connection's row, its registrations).
--
-- %(absent_reads)s (Variable audiocodes_absent_reads, 1 to 5): a number the kept read registers
-- stays registered until that many consecutive complete reads lack it; `missed` counts them. With 1
-- every read replaces the kept registrations outright.
INSERT INTO audiocodes_connection (connection_id, read_id, read_at)
VALUES (%(connection_id)s, %(read_id)s, now())
ON CONFLICT (connection_id) DO UPDATE SET read_id = excluded.read_id, read_at = excluded.read_at;

-- Gone: not in this read, and not registered in the kept read or missed by enough reads now.
DELETE FROM audiocodes_registration AS kept
USING read_registration AS r
WHERE kept.connection_id = %(connection_id)s AND kept.number = r.number AND r.active IS NULL
  AND (NOT r.kept_active OR r.kept_missed + 1 >= %(absent_reads)s);

-- Held: registered in the kept read, not in this one, and not yet missed by enough reads.
UPDATE audiocodes_registration AS kept
SET missed = r.kept_missed + 1
FROM read_registration AS r
WHERE kept.connection_id = %(connection_id)s AND kept.number = r.number
  AND r.kept_active AND r.active IS NOT TRUE AND r.kept_missed + 1 < %(absent_reads)s;

-- Changed: in this read with another flag than kept (unless held above), or back after a miss.
UPDATE audiocodes_registration AS kept
SET active = r.active, missed = 0
FROM read_registration AS r
WHERE kept.connection_id = %(connection_id)s AND kept.number = r.number AND r.active IS NOT NULL
  AND (r.kept_active <> r.active OR r.kept_missed <> 0)
  AND NOT (r.kept_active AND NOT r.active AND r.kept_missed + 1 < %(absent_reads)s);

-- In index order: a first read of a large connection fills the indexes front to back.
INSERT INTO audiocodes_registration (connection_id, number, active)
SELECT %(connection_id)s, number, active
FROM read_registration
WHERE kept_active IS NULL
ORDER BY number;
