-- One staged read beside the connection's kept read: one row per number in either, with whether
-- the read registers it (any active binding; NULL: not in the read), how many rows the read staged
-- for it, and whether the kept read does (NULL: not kept) and how many consecutive complete reads
-- have missed it. Dropped at commit; the figures and the promotion of the read work from it, so the
-- read and the kept registrations are joined once.
CREATE TEMP TABLE read_registration ON COMMIT DROP AS
SELECT coalesce(r.number, kept.number) AS number, r.active, r.staged,
       kept.active AS kept_active, kept.missed AS kept_missed,
       -- The read's contacts of each number; collect_contacts.sql completes those with several.
       CASE WHEN r.contact IS NOT NULL THEN ARRAY[r.contact] END AS contacts, kept.contacts AS kept_contacts
FROM (
    SELECT number, bool_or(active) AS active, count(*) AS staged, min(contact) AS contact
    FROM audiocodes_binding_stage
    WHERE read_id = %(read_id)s
    GROUP BY number
) AS r
FULL JOIN (
    SELECT number, active, missed, contacts FROM audiocodes_registration WHERE connection_id = %(connection_id)s
) AS kept ON kept.number = r.number
