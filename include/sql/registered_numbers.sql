-- Numbers with an active binding in the kept read of any of the given connections.
COPY (
    SELECT DISTINCT number FROM audiocodes_registration
    WHERE active AND connection_id = ANY(%(connection_ids)s)
) TO STDOUT WITH (FORMAT csv)
