-- Every connection that is configured, has been read or has a kept read, with its kept read (the
-- latest complete one), its latest read and its latest failed read. The connections that were ever
-- read are found by skipping through the (connection_id, read_id) index, not by reading every read.
-- kept_read_age: how old the kept read is at %(now)s (the project's clock; NULL: the database's
-- now()), as the daily audit's stale_read check measures it.
WITH RECURSIVE read_connection AS (
    (SELECT connection_id FROM audiocodes_read ORDER BY connection_id LIMIT 1)
    UNION ALL
    SELECT (
        SELECT r.connection_id FROM audiocodes_read AS r
        WHERE r.connection_id > c.connection_id
        ORDER BY r.connection_id
        LIMIT 1
    )
    FROM read_connection AS c
    WHERE c.connection_id IS NOT NULL
), connection AS (
    SELECT connection_id FROM read_connection WHERE connection_id IS NOT NULL
    UNION
    SELECT unnest(%(configured)s::text[])
    UNION
    SELECT connection_id FROM audiocodes_connection
)
SELECT c.connection_id,
       c.connection_id = ANY(%(configured)s::text[]) AS configured,
       kept.read_id AS kept_read_id, kept.run_id AS kept_run_id, kept.finished_at AS kept_read_at,
       kept.bindings AS kept_bindings, kept.active_bindings AS kept_active_bindings,
       kept.numbers AS kept_numbers, kept.skipped_aors AS kept_skipped_aors,
       coalesce(%(now)s::timestamptz, now()) - k.read_at AS kept_read_age,
       latest.read_id AS latest_read_id, latest.run_id AS latest_run_id, latest.state AS latest_state,
       latest.started_at AS latest_started_at, latest.finished_at AS latest_finished_at,
       latest.error AS latest_error,
       failed.read_id AS failed_read_id, failed.run_id AS failed_run_id,
       failed.finished_at AS failed_at, failed.error AS failed_error
FROM connection AS c
LEFT JOIN audiocodes_connection AS k ON k.connection_id = c.connection_id
LEFT JOIN audiocodes_read AS kept ON kept.read_id = k.read_id
LEFT JOIN LATERAL (
    SELECT r.read_id, r.run_id, r.state, r.started_at, r.finished_at, r.error
    FROM audiocodes_read AS r
    WHERE r.connection_id = c.connection_id
    ORDER BY r.read_id DESC
    LIMIT 1
) AS latest ON true
LEFT JOIN LATERAL (
    SELECT r.read_id, r.run_id, r.finished_at, r.error
    FROM audiocodes_read AS r
    WHERE r.connection_id = c.connection_id AND r.state = 'failed'
    ORDER BY r.read_id DESC
    LIMIT 1
) AS failed ON true
ORDER BY c.connection_id
LIMIT %(limit)s
