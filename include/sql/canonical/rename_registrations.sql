-- Give the connection's kept registrations their canonical numbers: the old spellings' bindings are
-- merged into the canonical number's (active when any is, missed the fewest reads, the contacts of
-- the first spelling), then the old spellings go (canonical/delete_old_registrations.sql). The
-- connection's next read, under its dial plan, then finds its numbers as it keeps them: nothing
-- departs, nothing is new.
INSERT INTO audiocodes_registration AS r (connection_id, number, active, missed, contacts)
SELECT %(connection_id)s, g.canonical, g.active, g.missed, f.contacts
FROM (
    SELECT c.canonical, bool_or(k.active) AS active, min(k.missed) AS missed, min(k.number) AS first
    FROM audiocodes_registration AS k
    JOIN canonical_registration AS c ON c.number = k.number
    WHERE k.connection_id = %(connection_id)s
    GROUP BY c.canonical
) AS g
JOIN audiocodes_registration AS f ON f.connection_id = %(connection_id)s AND f.number = g.first
ON CONFLICT (number, connection_id) DO UPDATE
SET active = r.active OR excluded.active, missed = least(r.missed, excluded.missed),
    contacts = coalesce(r.contacts, excluded.contacts)
