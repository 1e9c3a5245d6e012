-- Start a read of a connection; returns its id.
INSERT INTO audiocodes_read (connection_id, dag_id, run_id, run_day)
VALUES (%(connection_id)s, %(dag_id)s, %(run_id)s, %(run_day)s)
RETURNING read_id
