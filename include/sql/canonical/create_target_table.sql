-- The canonical rows one canonicalise_numbers run writes, with their merged values (for its
-- transaction).
CREATE TEMPORARY TABLE canonical_target (
    number text COLLATE "C" PRIMARY KEY, status text NOT NULL, usage text, vendor text, tag text,
    release_date date, site text, label text, detail text NOT NULL
) ON COMMIT DROP
