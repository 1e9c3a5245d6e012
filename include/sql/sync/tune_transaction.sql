-- Until commit: work_mem for sorts, hashes and joins of whole reads and the whole inventory, and no
-- JIT compilation (which costs more than it saves on these scans, joins and aggregates).
SELECT set_config('work_mem', %(work_mem)s, true), set_config('jit', 'off', true)
