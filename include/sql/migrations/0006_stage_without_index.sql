-- The stage holds only the reads in progress, each read's rows at most once, so its read_id index
-- was maintained for every staged binding (a million entries per full sync) to serve three
-- statements per read that a scan of the stage serves as well: collecting the read, and removing
-- its rows when it completes or fails.
DROP INDEX IF EXISTS audiocodes_binding_stage_read;
