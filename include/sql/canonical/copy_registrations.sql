-- The kept registrations to rename (canonical/create_registration_table.sql), as COPY rows.
COPY canonical_registration (number, canonical) FROM STDIN
