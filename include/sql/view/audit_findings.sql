-- One page of what one audit run found ({where}: after the last id shown, or true).
SELECT id, number, "check", repaired, before, after, found_at
FROM audit_finding
WHERE run_day = %(run_day)s AND run_id = %(run_id)s AND {where}
ORDER BY id
LIMIT %(limit)s OFFSET %(offset)s
