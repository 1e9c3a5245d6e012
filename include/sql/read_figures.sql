-- Figures of one staged read (collect_read.sql) that need the connection's kept read: the numbers
-- this read registers, those the kept read registers, and how many of those this read no longer
-- registers (for the mass-removal guard). The bindings are counted as the read streams in
-- (store.StagedRead).
SELECT count(*) FILTER (WHERE active) AS numbers,
       count(*) FILTER (WHERE kept_active) AS kept_numbers,
       count(*) FILTER (WHERE kept_active AND active IS NOT TRUE) AS removed
FROM read_registration
