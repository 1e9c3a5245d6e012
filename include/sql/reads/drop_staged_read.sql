-- Drop what a read staged. Only the reading session has its tables (pg_temp): in any other session,
-- such as a later read that abandons this one, this does nothing.
DROP TABLE IF EXISTS pg_temp.{stage}, pg_temp.{repeats}
