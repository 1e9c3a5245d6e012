-- One page of a read's bindings of numbers it had staged before, as COPY rows (reads/copy_binding_stage.sql).
COPY {repeats} (number, active, contact) FROM STDIN
