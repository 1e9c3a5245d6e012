-- Manual actions (issue 13): the history says who asked for a change and why.
--
-- `actor` is the Airflow user who triggered the number_inventory_action run, `note` the reason the
-- operator typed in its form. Both stay empty for the pipeline's own changes, whose reason and run
-- say why. Adding nullable columns without a default rewrites nothing, however long the history.
ALTER TABLE number_inventory_history
    ADD COLUMN IF NOT EXISTS actor text,
    ADD COLUMN IF NOT EXISTS note  text;
