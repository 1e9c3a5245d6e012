-- One page of a read's bindings that have a number, each its number's first in the read, with their
-- contact (contacts.compact), as COPY rows.
COPY {stage} (number, active, contact) FROM STDIN
