-- The inventory's counts by vendor and status, and how they moved each quarter hour, kept by the
-- database itself (issue 15), so that the Number Inventory view's summary reads a few thousand rows
-- instead of grouping the whole inventory and a month of its history (seconds at ten million).
--
-- Every statement that writes number_inventory appends what it changed to number_inventory_count:
-- one row per (vendor, status) it added or removed numbers of, with the net count (+ added, -
-- removed), in the quarter hour of the transaction's start (the history's changed_at). The
-- counts now are the sums per (vendor, status); the view's Used / Cooling / Available trend is the
-- sums per day (ui_queries/status_counts.sql, status_changes_by_day.sql). A quarter hour lies within
-- one day in every time zone. The triggers are statement-level with transition tables, like the
-- history's (0012), and count every writer: the DAGs (whose writes the history triggers leave to
-- them, but these count), hand edits, COPY, and TRUNCATE.
--
-- Writers never wait for each other here: appending is a plain INSERT, and there is no row that
-- every writer updates (which would serialise them until commit, and could deadlock two of them).
-- To keep the table short, a statement also folds it: the rows of the current quarter hour become
-- one per (vendor, status), and rows older than 40 days (the trend shows 30) merge into the counts
-- from before ('-infinity'). Only a READ COMMITTED transaction that takes the fold's advisory lock
-- without waiting folds: one transaction at a time, the others only append. While it runs (a DAG's
-- write of many minutes, say), the rows it folded stay locked, but only it may fold, so nobody
-- waits for them. A REPEATABLE READ or SERIALIZABLE transaction never folds: it could not delete
-- rows that a fold committed after its snapshot.

-- vendor: '' for no vendor, as the view shows it. changed_at: the start of the quarter hour (UTC).
CREATE TABLE IF NOT EXISTS number_inventory_count (
    changed_at timestamptz NOT NULL,
    vendor     text NOT NULL,
    status     text NOT NULL,
    numbers    bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS number_inventory_count_changed ON number_inventory_count (changed_at);

-- Runs as its owner, like the history's trigger: a role that may edit the inventory is counted.
CREATE OR REPLACE FUNCTION number_inventory_count_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    quarter constant timestamptz := date_bin('15 minutes', now(), timestamptz '2000-01-01 00:00+00');
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO number_inventory_count (changed_at, vendor, status, numbers)
        SELECT quarter, coalesce(vendor, ''), status, count(*)
        FROM new_rows
        GROUP BY 2, 3;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Rows that keep their vendor and status cancel out (a Tag recount, a release date moved).
        INSERT INTO number_inventory_count (changed_at, vendor, status, numbers)
        SELECT quarter, vendor, status, sum(numbers)
        FROM (
            SELECT coalesce(vendor, '') AS vendor, status, 1 AS numbers FROM new_rows
            UNION ALL
            SELECT coalesce(vendor, ''), status, -1 FROM old_rows
        ) AS moved
        GROUP BY 2, 3
        HAVING sum(numbers) <> 0;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO number_inventory_count (changed_at, vendor, status, numbers)
        SELECT quarter, coalesce(vendor, ''), status, -count(*)
        FROM old_rows
        GROUP BY 2, 3;
    ELSE  -- TRUNCATE, before it: every row is removed
        INSERT INTO number_inventory_count (changed_at, vendor, status, numbers)
        SELECT quarter, coalesce(vendor, ''), status, -count(*)
        FROM number_inventory
        GROUP BY 2, 3;
    END IF;
    IF current_setting('transaction_isolation') = 'read committed'
       AND pg_try_advisory_xact_lock(7301015) THEN
        WITH folded AS (
            DELETE FROM number_inventory_count
            WHERE changed_at >= quarter OR changed_at < now() - interval '40 days'
            RETURNING changed_at, vendor, status, numbers
        )
        INSERT INTO number_inventory_count (changed_at, vendor, status, numbers)
        SELECT CASE WHEN changed_at < now() - interval '40 days' THEN '-infinity' ELSE changed_at END,
               vendor, status, sum(numbers)
        FROM folded
        GROUP BY 1, 2, 3
        HAVING sum(numbers) <> 0;
    END IF;
    RETURN NULL;
END
$$;

DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION number_inventory_count_change() SET search_path = %I, pg_temp', current_schema()
    );
END
$$;

CREATE OR REPLACE TRIGGER number_inventory_count_insert
    AFTER INSERT ON number_inventory REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_count_change();
CREATE OR REPLACE TRIGGER number_inventory_count_update
    AFTER UPDATE ON number_inventory REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_count_change();
CREATE OR REPLACE TRIGGER number_inventory_count_delete
    AFTER DELETE ON number_inventory REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_count_change();
CREATE OR REPLACE TRIGGER number_inventory_count_truncate
    BEFORE TRUNCATE ON number_inventory
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_count_change();

-- The counts of the rows already there. Creating the triggers took a lock that keeps every writer
-- out until the migrations commit, so nothing is counted twice or missed. The last 40 days come
-- from the history (each change: +1 for the vendor and status a row took, -1 for those it left),
-- so the trend reads as it did from the history; the rest ('-infinity') is what makes the sums
-- the rows there now.
DELETE FROM number_inventory_count;
INSERT INTO number_inventory_count (changed_at, vendor, status, numbers)
SELECT date_bin('15 minutes', h.changed_at, timestamptz '2000-01-01 00:00+00'), coalesce(moved.vendor, ''),
       moved.status, sum(moved.numbers)
FROM number_inventory_history AS h,
     LATERAL (VALUES (h.after_vendor, h.after_status, 1), (h.before_vendor, h.before_status, -1))
         AS moved (vendor, status, numbers)
WHERE h.changed_at >= now() - interval '40 days' AND moved.status IS NOT NULL
GROUP BY 1, 2, 3
HAVING sum(moved.numbers) <> 0;
INSERT INTO number_inventory_count (changed_at, vendor, status, numbers)
SELECT '-infinity', vendor, status, sum(numbers)
FROM (
    SELECT coalesce(vendor, '') AS vendor, status, count(*) AS numbers
    FROM number_inventory
    GROUP BY 1, 2
    UNION ALL
    SELECT vendor, status, -numbers
    FROM number_inventory_count
) AS counts
GROUP BY 2, 3
HAVING sum(numbers) <> 0;
