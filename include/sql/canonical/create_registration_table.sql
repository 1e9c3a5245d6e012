-- The connection's kept registrations one canonicalise_numbers run renames (for its transaction).
CREATE TEMPORARY TABLE canonical_registration (
    number text COLLATE "C" PRIMARY KEY, canonical text COLLATE "C" NOT NULL
) ON COMMIT DROP
