-- Drop the registrations of a connection's kept read.
DELETE FROM audiocodes_registration WHERE connection_id = %(connection_id)s
