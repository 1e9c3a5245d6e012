-- Drop what a read staged.
DELETE FROM audiocodes_binding_stage WHERE read_id = %(read_id)s
