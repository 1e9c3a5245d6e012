-- Reads of a connection left 'running' by a killed worker are failed and their staged rows removed.
WITH abandoned AS (
    UPDATE audiocodes_read
    SET state = 'failed', finished_at = now(), error = 'abandoned: the read did not finish'
    WHERE connection_id = %(connection_id)s AND state = 'running'
    RETURNING read_id
)
DELETE FROM audiocodes_binding_stage WHERE read_id IN (SELECT read_id FROM abandoned);
