-- TRUNCATE number_inventory only under READ COMMITTED, so that the view's counts (0015) and the
-- history (0012) stay right.
--
-- Both learn of a TRUNCATE from BEFORE TRUNCATE triggers that read the rows it removes. TRUNCATE
-- removes every row, also those that other transactions committed after this one's snapshot, which a
-- REPEATABLE READ or SERIALIZABLE transaction cannot see: they would be missed for good (the view
-- would count numbers that are gone, and the history would keep them). Under READ COMMITTED those
-- triggers run once TRUNCATE holds the table's ACCESS EXCLUSIVE lock, with a snapshot taken then,
-- and see every row. Refused otherwise, before anything is removed.
CREATE OR REPLACE FUNCTION number_inventory_truncate_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'TRUNCATE number_inventory is refused in a % transaction',
                        upper(current_setting('transaction_isolation'))
            USING DETAIL = 'It would remove the rows other transactions committed after this one began, '
                           'which this transaction cannot see: the Number Inventory view''s counts and '
                           'the history would miss them. Nothing was removed.',
                  HINT = 'TRUNCATE it in a READ COMMITTED transaction (the default), or DELETE FROM number_inventory.';
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER number_inventory_truncate_guard
    BEFORE TRUNCATE ON number_inventory
    FOR EACH STATEMENT EXECUTE FUNCTION number_inventory_truncate_guard();
