-- Figures of one staged read: distinct bindings (to check against the announced total), active
-- bindings, registered numbers, AORs that are not numbers, and how many numbers the connection's
-- kept read has that this read no longer registers (for the mass-removal guard).
-- A binding's number and active flag follow from its AOR and contact, so distinct
-- (aor, contact, number, active) are the distinct bindings.
SELECT binding.bindings, binding.active_bindings, registration.numbers, binding.skipped_aors,
       registration.kept_numbers, registration.removed
FROM (
    SELECT count(*) AS bindings,
           count(*) FILTER (WHERE active) AS active_bindings,
           count(DISTINCT aor) FILTER (WHERE number IS NULL) AS skipped_aors
    FROM (
        SELECT DISTINCT aor, contact, number, active
        FROM audiocodes_binding_stage
        WHERE read_id = %(read_id)s
    ) AS distinct_binding
) AS binding,
(
    SELECT count(*) FILTER (WHERE active) AS numbers,
           count(*) FILTER (WHERE kept_active) AS kept_numbers,
           count(*) FILTER (WHERE kept_active AND active IS NOT TRUE) AS removed
    FROM read_registration
) AS registration
