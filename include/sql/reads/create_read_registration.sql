-- What keeping a read changes (reads/collect_read.sql fills it): one row per number of the read or of the
-- connection's kept read whose registration changes, with whether the read registers it (any active
-- binding; NULL: not in the read), how many rows the read staged for it and its contacts (distinct,
-- in order, at most contacts.MAX_CONTACTS), and whether the kept read registers it (NULL: not kept),
-- how many consecutive complete reads have missed it and its contacts. Dropped at commit.
CREATE TEMP TABLE read_registration (
    number        text COLLATE "C" NOT NULL,
    active        boolean,
    staged        bigint,
    contacts      text[],
    kept_active   boolean,
    kept_missed   smallint,
    kept_contacts text[]
) ON COMMIT DROP
