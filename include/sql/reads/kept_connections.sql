-- Connections that have a kept complete read.
SELECT connection_id FROM audiocodes_connection
