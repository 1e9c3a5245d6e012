-- Store a kept read's figures.
UPDATE audiocodes_read
SET finished_at = now(),
    total = %(total)s, pages = %(pages)s, bindings = %(bindings)s, active_bindings = %(active_bindings)s,
    numbers = %(numbers)s, skipped_aors = %(skipped_aors)s, removed = %(removed)s
WHERE read_id = %(read_id)s
