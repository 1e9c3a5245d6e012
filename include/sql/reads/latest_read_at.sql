-- When the latest kept read of the configured connections %(configured)s completed, by the project's
-- clock (reads/promote_read_connection.sql): the devices were last seen then, so cooling counts from its
-- day when that is after the run's day (a manual run with an earlier logical date). NULL: none kept.
SELECT max(read_at) FROM audiocodes_connection WHERE connection_id = ANY (%(configured)s::text[])
