-- The audit's findings by number, as COPY rows.
COPY audit_finding (dag_id, run_id, run_day, number, "check", repaired, before, after) FROM STDIN
