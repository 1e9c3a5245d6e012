-- Make a complete read the connection's kept read: its registrations replace the previous ones.
-- Only the difference is written (a steady read changes a few rows, not all of them). Upserting the
-- connection's row first also holds that row until commit, so two promotions of one connection
-- cannot interleave.
INSERT INTO audiocodes_connection (connection_id, read_id, read_at)
VALUES (%(connection_id)s, %(read_id)s, now())
ON CONFLICT (connection_id) DO UPDATE SET read_id = excluded.read_id, read_at = excluded.read_at;

DELETE FROM audiocodes_registration AS kept
USING read_registration AS r
WHERE kept.connection_id = %(connection_id)s AND kept.number = r.number AND r.active IS NULL;

UPDATE audiocodes_registration AS kept
SET active = r.active
FROM read_registration AS r
WHERE kept.connection_id = %(connection_id)s AND kept.number = r.number AND r.kept_active <> r.active;

-- In index order: a first read of a large connection fills the indexes front to back.
INSERT INTO audiocodes_registration (connection_id, number, active)
SELECT %(connection_id)s, number, active
FROM read_registration
WHERE kept_active IS NULL
ORDER BY number;
