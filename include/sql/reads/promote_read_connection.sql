-- Make a complete read the connection's kept read: its registrations replace the previous ones.
-- Only the difference is written (a steady read changes a few rows, not all of them). Upserting the
-- connection's row first also holds that row until commit, so two promotions of one connection
-- cannot interleave (lock order: the read's row, the connection's row, its registrations).
--
-- %(absent_reads)s (Variable audiocodes_absent_reads, 1 to 5): a number the kept read registers
-- stays registered until that many consecutive complete reads lack it; `missed` counts them. With 1
-- every read replaces the kept registrations outright.
--
-- %(read_at)s: when the read completed by the project's clock (clock.now), against which the daily
-- audit measures its age; NULL means the database's now(). %(dial_plan)s: the dial plan the read was
-- made under (NULL: none), which the connection's next read must share (reads/connection_dial_plan.sql).
-- %(site)s: the connection's extra `site` (NULL: none), as it was when this read was made.
INSERT INTO audiocodes_connection (connection_id, read_id, read_at, dial_plan, site)
VALUES (%(connection_id)s, %(read_id)s, coalesce(%(read_at)s::timestamptz, now()), %(dial_plan)s, %(site)s)
ON CONFLICT (connection_id) DO UPDATE
SET read_id = excluded.read_id, read_at = excluded.read_at, dial_plan = excluded.dial_plan, site = excluded.site
