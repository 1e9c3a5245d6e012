-- audit_finding.dry_run was always false: a dry run of the daily step writes no findings at all.
ALTER TABLE audit_finding DROP COLUMN IF EXISTS dry_run;
