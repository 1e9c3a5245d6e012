-- The bindings of numbers a read had staged before (most numbers have one binding: this stays small),
-- so that keeping the read groups only these numbers' bindings, not millions (reads/collect_read.sql).
CREATE TEMP TABLE {repeats} (LIKE {stage})
