-- Figures of one staged read: distinct bindings (to check against the announced total), active
-- bindings, registered numbers, AORs that are not numbers, and how many numbers the connection's
-- kept read has that this read no longer registers (for the mass-removal guard).
WITH binding AS (
    SELECT DISTINCT ON (aor, contact) aor, contact, number, active
    FROM audiocodes_binding_stage
    WHERE read_id = %(read_id)s
), registered AS (
    SELECT DISTINCT number FROM binding WHERE active AND number IS NOT NULL
), kept AS (
    SELECT number FROM audiocodes_registration
    WHERE connection_id = %(connection_id)s AND active
)
SELECT (SELECT count(*) FROM binding) AS bindings,
       (SELECT count(*) FROM binding WHERE active) AS active_bindings,
       (SELECT count(*) FROM registered) AS numbers,
       (SELECT count(DISTINCT aor) FROM binding WHERE number IS NULL) AS skipped_aors,
       (SELECT count(*) FROM kept) AS kept_numbers,
       (SELECT count(*) FROM kept WHERE number NOT IN (SELECT number FROM registered)) AS removed
