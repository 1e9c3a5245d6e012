-- Inside the caller's transaction: wait for, then hold until commit, the advisory lock %(key)s
-- (the inventory's writes and the migrations each have their own key).
SELECT pg_advisory_xact_lock(%(key)s)
