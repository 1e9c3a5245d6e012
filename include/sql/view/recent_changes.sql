-- One page of the history, newest first; a manual action says who (actor) and why (note),
-- a change made outside the DAGs which database user (db_user) made it with which application_name.
-- {where}: ids before the last one shown (keyset), or true.
SELECT id, number, changed_at, dag_id, run_id, run_day, reason, actor, note, db_user, application_name,
       before_status, before_usage, before_vendor, before_tag, before_release_date,
       after_status, after_usage, after_vendor, after_tag, after_release_date
FROM number_inventory_history
WHERE {where}
ORDER BY id DESC
LIMIT %(limit)s OFFSET %(offset)s
