-- The state of a read, and why it failed.
SELECT state, error FROM audiocodes_read WHERE read_id = %(read_id)s
