-- About how many rows a reconcile loads: the inventory's and the active kept registrations', as
-- the planner estimates them (its row density times the tables' current size, so a table grown
-- since it was last analyzed still counts in full; 64 bytes a row for one never analyzed).
SELECT coalesce(sum(CASE WHEN c.relpages > 0 AND c.reltuples >= 0
                         THEN c.reltuples / c.relpages
                         ELSE current_setting('block_size')::int / 64 END
                    * (pg_relation_size(c.oid) / current_setting('block_size')::int)), 0)::bigint
FROM pg_class AS c
WHERE c.oid IN ('number_inventory'::regclass, 'audiocodes_registration'::regclass)
