-- The planner's statistics of the block just copied in (a temporary table has none until analysed).
ANALYZE number_block
