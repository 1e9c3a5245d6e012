-- Note that a run processed its run day, with its summary.
INSERT INTO inventory_run (kind, dag_id, run_id, run_day, summary)
VALUES (%(kind)s, %(dag_id)s, %(run_id)s, %(run_day)s, %(summary)s)
