-- The rows of the table to adopt that its checks would refuse: how many numbers are not normalised
-- and how many statuses are not known, with a few samples of each. The statuses known are %(statuses)s.
SELECT count(*) FILTER (WHERE NOT number_ok),
       (array_agg(number ORDER BY number) FILTER (WHERE NOT number_ok))[1:{samples}],
       count(*) FILTER (WHERE NOT status_ok),
       (array_agg(DISTINCT status) FILTER (WHERE NOT status_ok))[1:{samples}]
FROM (SELECT number::text AS number, status::text AS status,
             coalesce({number_check}, false) AS number_ok,
             coalesce(status::text = ANY (%(statuses)s), false) AS status_ok
      FROM {table}) AS r
