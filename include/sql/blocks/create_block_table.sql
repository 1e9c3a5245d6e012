-- The numbers of one block action (store.blocks), copied in; dropped at commit. Numbers are unique
-- (checked before the copy), so no key is maintained for a million rows.
CREATE TEMP TABLE number_block (
    number text COLLATE "C" NOT NULL,
    status text NOT NULL,
    site   text,
    label  text
) ON COMMIT DROP
