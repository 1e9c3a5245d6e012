-- Until the transaction ends, no statement may run longer than %(timeout)s (e.g. '10000ms').
SELECT set_config('statement_timeout', %(timeout)s, true)
