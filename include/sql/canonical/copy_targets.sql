-- The canonical rows to write (canonical/create_target_table.sql), as COPY rows.
COPY canonical_target (number, status, usage, vendor, tag, release_date, site, label, detail) FROM STDIN
