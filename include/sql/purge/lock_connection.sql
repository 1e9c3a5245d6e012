-- Hold a connection's row until commit (lock order: reads, the connection's row, its registrations).
SELECT 1 FROM audiocodes_connection WHERE connection_id = %(connection_id)s FOR UPDATE
