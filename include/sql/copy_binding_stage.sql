-- One page of a read's bindings that have a number, with their contact (contacts.compact), as COPY rows.
COPY audiocodes_binding_stage (read_id, number, active, contact) FROM STDIN
