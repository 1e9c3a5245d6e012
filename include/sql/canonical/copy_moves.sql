-- The spellings to delete (canonical/create_move_table.sql), as COPY rows.
COPY canonical_move (number, canonical, detail) FROM STDIN
