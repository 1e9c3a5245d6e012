-- The connection's kept registrations of the old spellings, now under their canonical numbers.
DELETE FROM audiocodes_registration AS r
USING canonical_registration AS c
WHERE r.connection_id = %(connection_id)s AND r.number = c.number
