-- A read's stage: the number, active flag and contact (contacts.compact) of each binding that has a
-- number, as COPY rows (reads/copy_binding_stage.sql), the first binding of each number here and any
-- further one in its repeats (reads/create_read_stage_repeats.sql). Temporary tables of the reading
-- session, named for the read (store.reads.stage_statement): no other read scans them, and they go
-- with the session when a worker is killed. Dropped when the read is kept or fails
-- (reads/drop_staged_read.sql).
CREATE TEMP TABLE {stage} (
    number  text COLLATE "C" NOT NULL,
    active  boolean NOT NULL,
    contact text COLLATE "C"
)
