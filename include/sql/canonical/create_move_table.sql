-- The spellings one canonicalise_numbers run deletes, each with its canonical number and what the
-- history says of it (for its transaction).
CREATE TEMPORARY TABLE canonical_move (
    number text COLLATE "C" PRIMARY KEY, canonical text COLLATE "C" NOT NULL, detail text NOT NULL
) ON COMMIT DROP
