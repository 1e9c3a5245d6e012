-- A few numbers that appear more than once in the table to adopt (which has no key on number yet).
SELECT number::text
FROM {table}
WHERE number IS NOT NULL
GROUP BY number
HAVING count(*) > 1
ORDER BY number
LIMIT {samples}
