-- The numbers a connection's kept read registers, active or not.
SELECT number FROM audiocodes_registration WHERE connection_id = %(connection_id)s
