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
ON CONFLICT (connection_id) DO UPDATE SET read_id = excluded.read_id, read_at = excluded.read_at
