-- Make a complete read the connection's kept read: its registrations replace the previous ones.
INSERT INTO audiocodes_connection (connection_id, read_id, read_at)
VALUES (%(connection_id)s, %(read_id)s, now())
ON CONFLICT (connection_id) DO UPDATE SET read_id = excluded.read_id, read_at = excluded.read_at;

DELETE FROM audiocodes_registration WHERE connection_id = %(connection_id)s;

INSERT INTO audiocodes_registration (connection_id, number, active)
SELECT %(connection_id)s, number, bool_or(active)
FROM audiocodes_binding_stage
WHERE read_id = %(read_id)s AND number IS NOT NULL
GROUP BY number;
