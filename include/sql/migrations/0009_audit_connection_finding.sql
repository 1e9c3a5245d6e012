-- Audit findings about a whole connection rather than a number (audit_finding's number is NOT
-- NULL): for now, a kept read of a connection that is no longer configured, which keeps registering
-- its numbers until the purge DAG decommissions it (issue 12).
CREATE TABLE IF NOT EXISTS audit_connection_finding (
    id            bigserial PRIMARY KEY,
    dag_id        text,
    run_id        text,
    run_day       date NOT NULL,
    found_at      timestamptz NOT NULL DEFAULT now(),
    connection_id text NOT NULL,
    "check"       text NOT NULL,
    numbers       bigint,
    message       text NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_connection_finding_run ON audit_connection_finding (run_day, id);
