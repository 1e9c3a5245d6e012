-- A history that explains every row (issue 13): changes made outside the DAGs are recorded too.
--
-- The DAGs write their own history rows, with their run and reason, in the transaction that makes
-- the change (apply_updates.sql, apply_inserts_*.sql). Everything else that writes number_inventory (an
-- operator's UPDATE, an INSERT or COPY of a new number range, a DELETE, a TRUNCATE) is recorded by the
-- triggers below, with the database user and the client's application_name, so that replaying the
-- history from an empty table (the last row of each number: its after_* values, or no row when
-- after_status is NULL) gives number_inventory's number, status, usage, vendor, tag and
-- release_date exactly. updated_at is not replayed: changed_at says when each change was made.
--
-- The triggers are statement-level with transition tables: one INSERT ... SELECT per statement,
-- however many rows it wrote. The pipeline's transactions mark themselves with
-- number_inventory.writer = their transaction id (store.apply_changes); the triggers skip those
-- statements, so the DAGs' changes are recorded once. A setting left behind in a session (a plain
-- SET, a pooled connection) names a transaction that is over, and skips nothing.

-- Who made a change: the database user that logged in, and the client's application_name. Filled
-- in for every history row, the pipeline's too. Nullable columns without a default first (no
-- rewrite, the old rows stay empty), then the defaults for new rows.
ALTER TABLE number_inventory_history
    ADD COLUMN IF NOT EXISTS db_user text,
    ADD COLUMN IF NOT EXISTS application_name text,
    -- A deleted row: after_status and the other after_* values are NULL.
    ALTER COLUMN after_status DROP NOT NULL;
ALTER TABLE number_inventory_history
    ALTER COLUMN db_user SET DEFAULT session_user,
    ALTER COLUMN application_name SET DEFAULT nullif(current_setting('application_name'), '');

-- Runs as its owner (the migrations' role), so that a role that may edit the inventory but not
-- write the history is still recorded; the search path is pinned to the inventory's schema below.
CREATE OR REPLACE FUNCTION number_inventory_record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF current_setting('number_inventory.writer', true) = pg_current_xact_id_if_assigned()::text THEN
        RETURN NULL;  -- the pipeline's own change: it writes the history row itself
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO number_inventory_history (
            number, reason, after_status, after_usage, after_vendor, after_tag, after_release_date)
        SELECT number, 'hand_insert', status, usage, vendor, tag, release_date
        FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Matched by number; a row whose number changed is the old number deleted and the new one
        -- inserted. An update that changes none of the replayed columns is not recorded.
        INSERT INTO number_inventory_history (
            number, reason,
            before_status, before_usage, before_vendor, before_tag, before_release_date,
            after_status, after_usage, after_vendor, after_tag, after_release_date)
        SELECT coalesce(n.number, o.number),
               CASE WHEN o.number IS NULL THEN 'hand_insert' WHEN n.number IS NULL THEN 'hand_delete'
                    ELSE 'hand_update' END,
               o.status, o.usage, o.vendor, o.tag, o.release_date,
               n.status, n.usage, n.vendor, n.tag, n.release_date
        FROM old_rows AS o
        FULL JOIN new_rows AS n ON n.number = o.number
        WHERE (o.status, o.usage, o.vendor, o.tag, o.release_date)
              IS DISTINCT FROM (n.status, n.usage, n.vendor, n.tag, n.release_date);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO number_inventory_history (
            number, reason, before_status, before_usage, before_vendor, before_tag, before_release_date)
        SELECT number, 'hand_delete', status, usage, vendor, tag, release_date
        FROM old_rows;
    ELSE  -- TRUNCATE, before it: every row is deleted
        INSERT INTO number_inventory_history (
            number, reason, before_status, before_usage, before_vendor, before_tag, before_release_date)
        SELECT number, 'hand_delete', status, usage, vendor, tag, release_date
        FROM number_inventory;
    END IF;
    RETURN NULL;
END
$$;

DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION number_inventory_record_change() SET search_path = %I, pg_temp', current_schema()
    );
END
$$;

CREATE OR REPLACE TRIGGER number_inventory_history_insert
    AFTER INSERT ON number_inventory REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_record_change();
CREATE OR REPLACE TRIGGER number_inventory_history_update
    AFTER UPDATE ON number_inventory REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_record_change();
CREATE OR REPLACE TRIGGER number_inventory_history_delete
    AFTER DELETE ON number_inventory REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_record_change();
CREATE OR REPLACE TRIGGER number_inventory_history_truncate
    BEFORE TRUNCATE ON number_inventory
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_record_change();

-- The baseline: rows the history does not explain yet (a table adopted with its rows, numbers
-- loaded or edited by hand before this migration) get one 'baseline' row each, from what the
-- history last said of the number (if anything) to what the row holds now; numbers the history
-- still holds but the table no longer does get a deletion. Replaying then reproduces the table.
INSERT INTO number_inventory_history (
    number, reason,
    before_status, before_usage, before_vendor, before_tag, before_release_date,
    after_status, after_usage, after_vendor, after_tag, after_release_date)
SELECT coalesce(n.number, h.number), 'baseline',
       h.after_status, h.after_usage, h.after_vendor, h.after_tag, h.after_release_date,
       n.status, n.usage, n.vendor, n.tag, n.release_date
FROM number_inventory AS n
FULL JOIN (
    SELECT DISTINCT ON (number) number, after_status, after_usage, after_vendor, after_tag, after_release_date
    FROM number_inventory_history
    ORDER BY number, id DESC
) AS h ON h.number = n.number
WHERE (h.after_status, h.after_usage, h.after_vendor, h.after_tag, h.after_release_date)
      IS DISTINCT FROM (n.status, n.usage, n.vendor, n.tag, n.release_date)
ORDER BY 1;

-- "Last seen on": which numbers left which connection. Written when a read is kept
-- (promote_read_departures.sql: the numbers the connection's kept read registered that are no longer
-- registered there) and when a connection is purged (record_purge_departures.sql). One row per
-- number and connection, the latest departure, so the table stays as small as the inventory times
-- the connections. `last_read_id` is the kept read that still registered the number (with
-- audiocodes_absent_reads > 1, the last of the reads that held it), `run_id` the run that saw it go.
CREATE TABLE IF NOT EXISTS audiocodes_departure (
    number        text COLLATE "C" NOT NULL,
    connection_id text NOT NULL,
    left_at       timestamptz NOT NULL DEFAULT now(),
    how           text NOT NULL CHECK (how IN ('read', 'purge')),
    run_id        text,
    last_read_id  bigint,
    PRIMARY KEY (number, connection_id)
);

-- The contacts of each kept registration (issue 13: "where and how is it registered"): up to 5 per
-- number and connection (an AudioCodes AOR has at most 5), each as the device reported it, cut to
-- 200 characters; the view parses the URI, the expiry and active or pending from them. Staged with
-- the read's bindings and kept with its registrations (collect_read.sql, collect_contacts.sql,
-- promote_read_changed.sql, promote_read_new.sql).
-- Nullable columns without a default: adding them rewrites nothing.
ALTER TABLE IF EXISTS audiocodes_binding_stage ADD COLUMN IF NOT EXISTS contact text COLLATE "C";  -- gone since 0013
ALTER TABLE audiocodes_registration ADD COLUMN IF NOT EXISTS contacts text[];
