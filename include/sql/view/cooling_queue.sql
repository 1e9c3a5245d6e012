-- One page of the cooling queue with, for each number, when and why it went into Cooling and the
-- connection it was last seen on, in this order:
--   kept_read  the number is still in some connection's kept read (with inactive bindings only):
--              that connection;
--   departed   the departures recorded when reads were kept (audiocodes_departure; 'purged' when
--   / purged   a purge removed it): the connections it left in the run of its latest departure
--              (several only when it left several connections in one run: it was on each until then);
--              last_seen_at is the latest of the kept reads that still had it. Exact.
-- Numbers that cooled before departures were recorded (migration 0012) fall back to inference:
--   purged     it cooled because a connection was purged: that connection (the purge run's summary);
--   dropped    it cooled in a sync run: the connections whose complete read in that run dropped
--              numbers of their previous read. The number was in one of them, so a single one is
--              exact; several are all listed.
-- For those, last_seen_at is the latest complete read of that connection that still had it (one
-- connection only).
WITH page AS (
    SELECT number, release_date, tag
    FROM number_inventory
    WHERE status = 'Cooling' AND {where}
    ORDER BY {order}
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT p.number, p.release_date, p.release_date - %(today)s::date AS days_left, p.tag,
       entered.changed_at AS cooling_since, entered.reason AS cooling_reason, entered.run_id AS cooling_run_id,
       seen.connections AS last_seen_on, seen.basis AS last_seen_basis,
       coalesce(departed_read.finished_at, seen_read.finished_at) AS last_seen_at
FROM page AS p
LEFT JOIN LATERAL (
    SELECT h.changed_at, h.reason, h.run_id
    FROM number_inventory_history AS h
    WHERE h.number = p.number AND h.after_status = 'Cooling' AND h.before_status IS DISTINCT FROM 'Cooling'
    ORDER BY h.id DESC
    LIMIT 1
) AS entered ON true
LEFT JOIN LATERAL (
    SELECT found.connections, found.basis, found.before_read_id, found.until, found.seen_reads
    FROM (
        SELECT 1 AS priority, array_agg(r.connection_id ORDER BY r.connection_id) AS connections,
               'kept_read' AS basis, NULL::bigint AS before_read_id, NULL::timestamptz AS until,
               NULL::bigint[] AS seen_reads
        FROM audiocodes_registration AS r
        WHERE r.number = p.number
        HAVING count(*) > 0
        UNION ALL
        SELECT 2, array_agg(d.connection_id ORDER BY d.connection_id),
               CASE WHEN bool_and(d.how = 'purge') THEN 'purged' ELSE 'departed' END, NULL, NULL,
               array_agg(d.last_read_id)
        FROM audiocodes_departure AS d
        WHERE d.number = p.number
          AND d.run_id IS NOT DISTINCT FROM (
              SELECT l.run_id FROM audiocodes_departure AS l WHERE l.number = p.number
              ORDER BY l.left_at DESC LIMIT 1)
        HAVING count(*) > 0
        UNION ALL
        SELECT 3, ARRAY[run.summary ->> 'connection_id'], 'purged', NULL, entered.changed_at, NULL
        FROM inventory_run AS run
        WHERE entered.reason = 'connection_purged' AND run.kind = 'purge' AND run.run_id = entered.run_id
        UNION ALL
        SELECT 4, array_agg(rd.connection_id ORDER BY rd.connection_id), 'dropped', min(rd.read_id), NULL, NULL
        FROM audiocodes_read AS rd
        WHERE entered.reason = 'registration_gone' AND rd.run_id = entered.run_id
          AND rd.state = 'complete' AND rd.removed > 0
        HAVING count(*) > 0
    ) AS found
    ORDER BY found.priority
    LIMIT 1
) AS seen ON true
LEFT JOIN LATERAL (
    SELECT max(rd.finished_at) AS finished_at
    FROM audiocodes_read AS rd
    WHERE rd.read_id = ANY (seen.seen_reads)
) AS departed_read ON true
LEFT JOIN LATERAL (
    SELECT rd.finished_at
    FROM audiocodes_read AS rd
    WHERE seen.seen_reads IS NULL AND cardinality(seen.connections) = 1 AND rd.connection_id = seen.connections[1]
      AND rd.state = 'complete'
      AND rd.read_id < coalesce(seen.before_read_id, 9223372036854775807)
      AND rd.finished_at <= coalesce(seen.until, 'infinity')
    ORDER BY rd.read_id DESC
    LIMIT 1
) AS seen_read ON true
ORDER BY {order}
