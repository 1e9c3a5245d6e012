-- Work on one tenant's tables (the search path of the session: the project's functions open their
-- own transactions).
SELECT set_config('search_path', %(search_path)s, false)
