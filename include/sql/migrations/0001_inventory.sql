-- The number inventory, its history, the kept device reads and the audit findings.
-- Every column but `number` has a default, so operators can load ranges with a plain INSERT or COPY.

CREATE TABLE IF NOT EXISTS number_inventory (
    number       text PRIMARY KEY CONSTRAINT number_is_normalised CHECK (number ~ '^\+?[0-9]{1,32}$'),
    status       text NOT NULL DEFAULT 'Available'
                 CONSTRAINT status_is_known
                 CHECK (status IN ('Available', 'Used', 'Used-Utility', 'Reserved', 'Cooling')),
    usage        text,
    vendor       text,
    tag          text,
    release_date date,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS number_inventory_cooling ON number_inventory (release_date)
    WHERE status = 'Cooling';
CREATE INDEX IF NOT EXISTS number_inventory_vendor ON number_inventory (vendor, status);

-- One row per change to an inventory row: nothing is lost, the history explains every row.
CREATE TABLE IF NOT EXISTS number_inventory_history (
    id                  bigserial PRIMARY KEY,
    number              text NOT NULL,
    changed_at          timestamptz NOT NULL DEFAULT now(),
    dag_id              text,
    run_id              text,
    run_day             date,
    reason              text NOT NULL,
    before_status       text,
    before_usage        text,
    before_vendor       text,
    before_tag          text,
    before_release_date date,
    after_status        text NOT NULL,
    after_usage         text,
    after_vendor        text,
    after_tag           text,
    after_release_date  date
);
CREATE INDEX IF NOT EXISTS number_inventory_history_number ON number_inventory_history (number, id);
CREATE INDEX IF NOT EXISTS number_inventory_history_changed ON number_inventory_history (changed_at);

-- Every read of a device, complete or not, with its figures or its error.
CREATE TABLE IF NOT EXISTS audiocodes_read (
    read_id         bigserial PRIMARY KEY,
    connection_id   text NOT NULL,
    dag_id          text,
    run_id          text,
    run_day         date,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    state           text NOT NULL DEFAULT 'running'
                    CHECK (state IN ('running', 'complete', 'failed')),
    total           bigint,
    pages           integer,
    bindings        bigint,
    active_bindings bigint,
    numbers         bigint,
    skipped_aors    bigint,
    removed         bigint,
    error           text
);
CREATE INDEX IF NOT EXISTS audiocodes_read_connection ON audiocodes_read (connection_id, read_id);
CREATE INDEX IF NOT EXISTS audiocodes_read_run ON audiocodes_read (run_id);

-- Bindings of reads in progress; a read's rows are removed once it completes or fails.
CREATE UNLOGGED TABLE IF NOT EXISTS audiocodes_binding_stage (
    read_id bigint NOT NULL,
    aor     text NOT NULL,
    contact text NOT NULL,
    number  text,
    active  boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS audiocodes_binding_stage_read ON audiocodes_binding_stage (read_id);

-- The latest complete read of each connection, kept so that a failed read changes nothing.
CREATE TABLE IF NOT EXISTS audiocodes_connection (
    connection_id text PRIMARY KEY,
    read_id       bigint NOT NULL REFERENCES audiocodes_read (read_id),
    read_at       timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS audiocodes_registration (
    connection_id text NOT NULL REFERENCES audiocodes_connection (connection_id) ON DELETE CASCADE,
    number        text NOT NULL,
    active        boolean NOT NULL,
    PRIMARY KEY (connection_id, number)
);
CREATE INDEX IF NOT EXISTS audiocodes_registration_number ON audiocodes_registration (number);

-- Runs that changed the inventory, by kind ('sync', 'daily', 'purge'), to keep backfills from
-- moving it backwards.
CREATE TABLE IF NOT EXISTS inventory_run (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    dag_id      text,
    run_id      text,
    run_day     date NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    summary     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS inventory_run_kind_day ON inventory_run (kind, run_day);

-- What each audit found, repaired or only reported.
CREATE TABLE IF NOT EXISTS audit_finding (
    id         bigserial PRIMARY KEY,
    dag_id     text,
    run_id     text,
    run_day    date NOT NULL,
    found_at   timestamptz NOT NULL DEFAULT now(),
    number     text NOT NULL,
    "check"    text NOT NULL,
    repaired   boolean NOT NULL,
    dry_run    boolean NOT NULL DEFAULT false,
    before     jsonb,
    after      jsonb
);
CREATE INDEX IF NOT EXISTS audit_finding_run ON audit_finding (run_day, id);
