-- The inventory's counts by vendor and status, kept by the database itself (issue 15), so that the
-- Number Inventory view's summary reads a few rows instead of grouping the whole inventory (3 s at
-- ten million numbers).
--
-- Every statement that writes number_inventory appends what it changed to number_inventory_count:
-- one row per (vendor, status) it added or removed numbers of, with the net count (+ added, -
-- removed). The triggers are statement-level with transition tables, like the history's (0012), and
-- count every writer: the DAGs (whose writes the history triggers skip, not these), hand edits,
-- COPY, and TRUNCATE. The counts are the sums per (vendor, status) (ui_queries/status_counts.sql).
--
-- Writers never wait for each other here: appending is a plain INSERT, and there is no row that
-- every writer updates (which would serialise them until commit, and could deadlock two of them).
-- To keep the table a few rows long, a statement also folds it (replaces the rows by their sums),
-- but only in a READ COMMITTED transaction that takes the fold's advisory lock without waiting:
-- one transaction at a time folds, the others only append. While that transaction runs (a DAG's
-- write of many minutes, say), the rows it folded stay locked, but only it may fold, so nobody
-- waits for them. A REPEATABLE READ or SERIALIZABLE transaction never folds: it could not delete
-- rows that a fold committed after its snapshot.

-- vendor: '' for no vendor, as the view shows it.
CREATE TABLE IF NOT EXISTS number_inventory_count (
    vendor  text NOT NULL,
    status  text NOT NULL,
    numbers bigint NOT NULL
);

-- Runs as its owner, like the history's trigger: a role that may edit the inventory is counted.
CREATE OR REPLACE FUNCTION number_inventory_count_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        -- The table's ACCESS EXCLUSIVE lock is held: every other writer has committed or rolled back,
        -- so the rows here count exactly the rows being removed.
        DELETE FROM number_inventory_count;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO number_inventory_count (vendor, status, numbers)
        SELECT coalesce(vendor, ''), status, count(*)
        FROM new_rows
        GROUP BY 1, 2;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Rows that keep their vendor and status cancel out (a Tag recount, a release date moved).
        INSERT INTO number_inventory_count (vendor, status, numbers)
        SELECT vendor, status, sum(numbers)
        FROM (
            SELECT coalesce(vendor, '') AS vendor, status, 1 AS numbers FROM new_rows
            UNION ALL
            SELECT coalesce(vendor, ''), status, -1 FROM old_rows
        ) AS moved
        GROUP BY 1, 2
        HAVING sum(numbers) <> 0;
    ELSE  -- DELETE
        INSERT INTO number_inventory_count (vendor, status, numbers)
        SELECT coalesce(vendor, ''), status, -count(*)
        FROM old_rows
        GROUP BY 1, 2;
    END IF;
    IF current_setting('transaction_isolation') = 'read committed'
       AND pg_try_advisory_xact_lock(7301015) THEN
        WITH folded AS (
            DELETE FROM number_inventory_count RETURNING vendor, status, numbers
        )
        INSERT INTO number_inventory_count (vendor, status, numbers)
        SELECT vendor, status, sum(numbers)
        FROM folded
        GROUP BY vendor, status
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
-- out until the migrations commit, so nothing is counted twice or missed.
DELETE FROM number_inventory_count;
INSERT INTO number_inventory_count (vendor, status, numbers)
SELECT coalesce(vendor, ''), status, count(*)
FROM number_inventory
GROUP BY 1, 2;
