-- The dial plan of a connection's kept read (NULL: none), in one row when it has a kept read; locks
-- that row, as keeping a read does next (reads/promote_read_connection.sql).
SELECT dial_plan FROM audiocodes_connection WHERE connection_id = %(connection_id)s FOR UPDATE
