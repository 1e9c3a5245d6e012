-- One staged read beside the connection's kept read: one row per number in either, with whether
-- the read registers it (any active binding; NULL: not in the read) and whether the kept read does
-- (NULL: not kept). Dropped at commit; the figures and the promotion of the read work from it, so
-- the read and the kept registrations are joined once.
CREATE TEMP TABLE read_registration ON COMMIT DROP AS
SELECT coalesce(r.number, kept.number) AS number, r.active, kept.active AS kept_active
FROM (
    SELECT number, bool_or(active) AS active
    FROM audiocodes_binding_stage
    WHERE read_id = %(read_id)s
    GROUP BY number
) AS r
FULL JOIN (
    SELECT number, active FROM audiocodes_registration WHERE connection_id = %(connection_id)s
) AS kept ON kept.number = r.number
