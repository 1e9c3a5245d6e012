-- Figures of one staged read (collect_read.sql) that need the connection's kept read: the numbers
-- this read registers, those the kept read registers, how many of those this read no longer
-- registers (for the mass-removal guard), and how many rows the stage holds for the read (which
-- must be every row its reader staged). The bindings are counted as the read streams in
-- (store.StagedRead).
SELECT count(*) FILTER (WHERE active) AS numbers,
       count(*) FILTER (WHERE kept_active) AS kept_numbers,
       count(*) FILTER (WHERE kept_active AND active IS NOT TRUE) AS removed,
       coalesce(sum(staged), 0) AS staged
FROM read_registration
