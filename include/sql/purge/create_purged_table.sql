-- The numbers of the connection a purge decommissions, set aside before its registrations are
-- deleted, so that the purge plans them range by range (see include/number_inventory/batches.py)
-- instead of holding them all; dropped at commit. ``elsewhere``: another kept read registers it.
CREATE TEMP TABLE purged_number (
    number    text COLLATE "C" NOT NULL,
    elsewhere boolean NOT NULL
) ON COMMIT DROP
