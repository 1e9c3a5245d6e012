-- The writer mark hides nothing from the history (issue 22): a role that cannot write the history
-- cannot mark its edits as the pipeline's.
--
-- The DAGs mark their transactions with number_inventory.writer = their transaction id, and the
-- history triggers of 0012 skip the marked statements because the DAGs write those history rows
-- themselves (apply_updates.sql, apply_inserts_*.sql). Any session can set that mark, though: a role
-- with only SELECT, INSERT, UPDATE and DELETE on number_inventory set it and made a registered number
-- Available with no history row, and replaying the history no longer gave the table. Now the mark is
-- honoured only when the role making the change may INSERT into number_inventory_history itself, as
-- the DAGs' role must; any other role's change is recorded as a hand edit, marked or not. A role that
-- may write the history could write (or forge) the rows anyway, so the mark lets it hide nothing it
-- could not already.
--
-- The trigger function runs as its owner (SECURITY DEFINER, so that a role that may not write the
-- history is still recorded); the role that made the change is the one SET ROLE made current, else
-- the one that logged in (session_user). The check runs once per statement (the triggers are
-- statement-level), and only for a marked statement.

CREATE OR REPLACE FUNCTION number_inventory_record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    -- The pipeline's own change, which it records itself, is skipped only when the role that made it
    -- may write the history too: the role that SET ROLE made current, else the role that logged in
    -- (in this SECURITY DEFINER function current_user is the owner). Once per statement, and only
    -- for a marked one.
    IF current_setting('number_inventory.writer', true) = pg_current_xact_id_if_assigned()::text
       AND has_table_privilege(
               CASE WHEN current_setting('role') = 'none' THEN session_user::text
                    ELSE current_setting('role') END,
               'number_inventory_history'::regclass, 'INSERT') THEN
        RETURN NULL;
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
