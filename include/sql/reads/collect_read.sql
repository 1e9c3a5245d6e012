-- A staged read beside the connection's kept read, joined once: the rows that keeping it changes go
-- into read_registration (reads/create_read_registration.sql), and the figures come back. A steady read
-- changes a few numbers in a million, so the promotion (promote_read_*.sql) then works from those
-- alone. Figures: the numbers this read registers, those the kept read registers, how many of those
-- this read no longer registers (for the mass-removal guard), and how many rows the stage holds
-- (which must be every row its reader staged). The bindings are counted as the read streams in
-- (store.StagedRead).
--
-- A number with one binding is one row of the stage, taken as it is (`single`: its contact is compared
-- with the kept ones without building an array); only the numbers with repeats (few: the reader
-- stages those apart, store.StagedRead.repeats) are grouped, and their contacts sorted: distinct, at
-- most 5 (contacts.MAX_CONTACTS). Grouping every number of a 2.5M read took most of its keeping.
WITH joined AS MATERIALIZED (
    SELECT number, active, staged, kept_active, kept_missed, changes,
           CASE WHEN changes THEN contacts END AS contacts, CASE WHEN changes THEN kept_contacts END AS kept_contacts
    FROM (
        SELECT coalesce(r.number, kept.number) AS number, r.active, r.staged,
               kept.active AS kept_active, kept.missed AS kept_missed, kept.contacts AS kept_contacts,
               CASE WHEN r.single THEN CASE WHEN r.contact IS NOT NULL THEN ARRAY[r.contact] END
                    ELSE r.contacts END AS contacts,
               -- Whether keeping the read changes this row (see promote_read_*.sql): only then are
               -- its contacts carried along, so the rows a steady read leaves as they are stay narrow.
               (r.active IS NULL OR kept.active IS NULL OR r.active <> kept.active OR kept.missed <> 0
                OR CASE WHEN r.single
                        THEN CASE WHEN r.contact IS NULL THEN kept.contacts IS NOT NULL
                                  ELSE coalesce(cardinality(kept.contacts) <> 1 OR kept.contacts[1] <> r.contact, true)
                             END
                        ELSE r.contacts IS DISTINCT FROM kept.contacts
                   END) AS changes
        FROM (
            SELECT s.number, s.active, 1::bigint AS staged, true AS single, s.contact, NULL::text[] AS contacts
            FROM {stage} AS s
            WHERE NOT EXISTS (SELECT FROM {repeats} AS again WHERE again.number = s.number)
            UNION ALL
            SELECT number, bool_or(active), count(*), false, NULL,
                   (array_agg(DISTINCT contact ORDER BY contact) FILTER (WHERE contact IS NOT NULL))[1:5]
            FROM (
                SELECT number, active, contact FROM {stage} WHERE number IN (SELECT number FROM {repeats})
                UNION ALL
                SELECT number, active, contact FROM {repeats}
            ) AS repeated
            GROUP BY number
        ) AS r
        FULL JOIN (
            SELECT number, active, missed, contacts FROM audiocodes_registration WHERE connection_id = %(connection_id)s
        ) AS kept ON kept.number = r.number
    ) AS compared
),
changed AS (
    INSERT INTO read_registration (number, active, staged, contacts, kept_active, kept_missed, kept_contacts)
    SELECT number, active, staged, contacts, kept_active, kept_missed, kept_contacts
    FROM joined
    WHERE changes
)
SELECT count(*) FILTER (WHERE active) AS numbers,
       count(*) FILTER (WHERE kept_active) AS kept_numbers,
       count(*) FILTER (WHERE kept_active AND active IS NOT TRUE) AS removed,
       coalesce(sum(staged), 0) AS staged
FROM joined
