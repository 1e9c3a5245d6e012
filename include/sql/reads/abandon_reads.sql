-- Reads of a connection still 'running' (a killed worker, a read another deployment started, or a
-- connection being purged) are failed with %(error)s; returns their ids. A read being kept holds its
-- row until it commits; this waits for it and then leaves it complete.
UPDATE audiocodes_read
SET state = 'failed', finished_at = now(), error = %(error)s
WHERE connection_id = %(connection_id)s AND state = 'running'
RETURNING read_id
