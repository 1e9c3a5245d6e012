-- One page of a read's bindings that have a number, as COPY rows.
COPY audiocodes_binding_stage (read_id, number, active) FROM STDIN
