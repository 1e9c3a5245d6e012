-- How many consecutive complete reads of its connection have lacked a kept registration (issue 12,
-- paging skew). With the Variable audiocodes_absent_reads at N > 1, a registered number stays
-- registered until N reads in a row miss it (promote_read.sql); with N = 1 (the default) it is
-- always 0. A constant default: adding the column rewrites nothing.
ALTER TABLE audiocodes_registration ADD COLUMN IF NOT EXISTS missed smallint NOT NULL DEFAULT 0;
