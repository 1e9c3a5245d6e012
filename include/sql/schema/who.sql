-- The role, the database and the schema new tables go to (NULL when none of its search_path exists).
SELECT current_user, current_database(), current_schema()
