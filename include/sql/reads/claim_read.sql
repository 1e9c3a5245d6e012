-- Mark a read complete if it is still running (a compare-and-set); returns it when it was.
UPDATE audiocodes_read SET state = 'complete' WHERE read_id = %(read_id)s AND state = 'running'
RETURNING read_id
