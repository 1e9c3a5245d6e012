-- Drop a connection's kept read.
DELETE FROM audiocodes_connection WHERE connection_id = %(connection_id)s
