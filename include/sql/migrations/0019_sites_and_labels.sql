-- Where a number is and what it is for: the site of a tenant it belongs to (set by a range added for
-- a site, an import, or the connection that registered it) and an operator's label (a range's name,
-- "Berlin HQ block 2"). Both are optional and never touched by the cooling rules; adding a column
-- without a default rewrites no row.
ALTER TABLE number_inventory
    ADD COLUMN IF NOT EXISTS site text,
    ADD COLUMN IF NOT EXISTS label text;
-- The site of the connection whose read is kept (its extra `site`), recorded with each kept read.
ALTER TABLE audiocodes_connection
    ADD COLUMN IF NOT EXISTS site text;
