-- The daily report (issue 23): what the inventory was at the end of each day, kept per day so that a
-- backfill of number_inventory_daily over a year fills a year of trend that the view's chart and any
-- BI tool read with a plain SELECT.
--
-- Every daily run, current or backfilled, writes its run day's report (report_daily.sql), computed
-- from the history as of the END of that day in number_inventory_timezone: each number's latest
-- history row with changed_at before the day's end (numbers whose latest row deleted them left out),
-- the same answer as history.replay up to that moment. A run that acts also rewrites the day
-- before's, which is complete by then. Writing a day again replaces all of its rows (one
-- transaction, under a lock of that day), so re-runs and backfills are idempotent.
--
-- One row per (day, measure, key), a long table a BI tool pivots:
--   measure 'total'           key ''             numbers in the inventory at the day's end
--   measure 'status'          key a status       numbers in that status (every status, 0 included)
--   measure 'usage'           key a usage        numbers with that usage ('' for none)
--   measure 'vendor'          key a vendor       numbers of that vendor ('' for none)
--   measure 'event'           key to_cooling, back_online, released, by_action, by_hand
--                                                distinct numbers that, during the day, went into
--                                                Cooling, came back from Cooling to Used, were
--                                                released (Cooling to Available), were changed by a
--                                                manual action (number_inventory_action) or by hand
--                                                (SQL outside the DAGs); sample: up to 10 of them
--   measure 'reason'          key a reason       history rows written during the day, by reason
--   measure 'cooling_release' key YYYY-MM-DD     the cooling backlog at the day's end by release date
--                                                ('' for a cooling number without one)
-- as_of is the day's end (the report's moment); computed_at when the row was written: a report
-- computed before as_of (the current day's) is provisional until it is written again.
--
-- The history explains changes made outside the DAGs only since migration 0012; numbers loaded by
-- hand before it appear from their 'baseline' row on (that migration's moment), so reports of days
-- before it count what the DAGs wrote only.
CREATE TABLE IF NOT EXISTS number_inventory_daily_report (
    day         date NOT NULL,
    measure     text NOT NULL CHECK (
                    measure IN ('total', 'status', 'usage', 'vendor', 'event', 'reason', 'cooling_release')),
    key         text NOT NULL,
    numbers     bigint NOT NULL,
    sample      text[],
    as_of       timestamptz NOT NULL,
    timezone    text NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    dag_id      text,
    run_id      text,
    PRIMARY KEY (day, measure, key)
);
