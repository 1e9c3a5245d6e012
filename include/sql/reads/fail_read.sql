-- Record that a still running read failed, with its figures so far (NULL when unknown).
UPDATE audiocodes_read
SET state = 'failed', error = %(error)s, finished_at = now(),
    total = %(total)s, pages = %(pages)s, bindings = %(bindings)s, active_bindings = %(active_bindings)s,
    numbers = %(numbers)s, skipped_aors = %(skipped_aors)s, removed = %(removed)s
WHERE read_id = %(read_id)s AND state = 'running'
