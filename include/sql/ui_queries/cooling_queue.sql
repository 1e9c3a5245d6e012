-- One page of the cooling queue with, for each number, when and why it went into Cooling and the
-- connection it was last seen on. A connection's registrations are replaced by each complete read,
-- so "last seen on" is worked out, in this order:
--   kept_read  the number is still in some connection's kept read (with inactive bindings only):
--              that connection;
--   purged     it cooled because a connection was purged: that connection (the purge run's summary);
--   dropped    it cooled in a sync run: the connections whose complete read in that run dropped
--              numbers of their previous read. The number was in one of them, so a single one is
--              exact; several are all listed.
-- last_seen_at is the latest complete read of that connection that still had it (one connection only).
WITH page AS (
    SELECT number, release_date, tag
    FROM number_inventory
    WHERE status = 'Cooling' AND {where}
    ORDER BY {order}
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT p.number, p.release_date, p.release_date - %(today)s::date AS days_left, p.tag,
       entered.changed_at AS cooling_since, entered.reason AS cooling_reason, entered.run_id AS cooling_run_id,
       seen.connections AS last_seen_on, seen.basis AS last_seen_basis, seen_read.finished_at AS last_seen_at
FROM page AS p
LEFT JOIN LATERAL (
    SELECT h.changed_at, h.reason, h.run_id
    FROM number_inventory_history AS h
    WHERE h.number = p.number AND h.after_status = 'Cooling' AND h.before_status IS DISTINCT FROM 'Cooling'
    ORDER BY h.id DESC
    LIMIT 1
) AS entered ON true
LEFT JOIN LATERAL (
    SELECT found.connections, found.basis, found.before_read_id, found.until
    FROM (
        SELECT 1 AS priority, array_agg(r.connection_id ORDER BY r.connection_id) AS connections,
               'kept_read' AS basis, NULL::bigint AS before_read_id, NULL::timestamptz AS until
        FROM audiocodes_registration AS r
        WHERE r.number = p.number
        HAVING count(*) > 0
        UNION ALL
        SELECT 2, ARRAY[run.summary ->> 'connection_id'], 'purged', NULL, entered.changed_at
        FROM inventory_run AS run
        WHERE entered.reason = 'connection_purged' AND run.kind = 'purge' AND run.run_id = entered.run_id
        UNION ALL
        SELECT 3, array_agg(rd.connection_id ORDER BY rd.connection_id), 'dropped', min(rd.read_id), NULL
        FROM audiocodes_read AS rd
        WHERE entered.reason = 'registration_gone' AND rd.run_id = entered.run_id
          AND rd.state = 'complete' AND rd.removed > 0
        HAVING count(*) > 0
    ) AS found
    ORDER BY found.priority
    LIMIT 1
) AS seen ON true
LEFT JOIN LATERAL (
    SELECT rd.finished_at
    FROM audiocodes_read AS rd
    WHERE cardinality(seen.connections) = 1 AND rd.connection_id = seen.connections[1]
      AND rd.state = 'complete'
      AND rd.read_id < coalesce(seen.before_read_id, 9223372036854775807)
      AND rd.finished_at <= coalesce(seen.until, 'infinity')
    ORDER BY rd.read_id DESC
    LIMIT 1
) AS seen_read ON true
ORDER BY {order}
