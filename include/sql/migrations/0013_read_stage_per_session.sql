-- Each read stages its bindings in a temporary table of its own session (create_read_stage.sql), not
-- in one shared unlogged table: no read scans or pays for the rows and dead rows of the reads beside
-- it, a read's stage is dropped whole instead of deleted row by row, and the stage of a killed worker
-- goes with its session. Reads in progress while this is applied fail (their next page finds no stage).
DROP TABLE IF EXISTS audiocodes_binding_stage;
COMMENT ON TABLE audiocodes_read IS
    'Reads of device connections. A running read stages its bindings in a temporary table of its reader''s session, audiocodes_stage_<read_id>.';
