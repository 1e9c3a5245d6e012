-- The contacts of the numbers this read staged with more than one binding (few: most numbers have
-- one, which collect_read.sql keeps as it is): distinct, in order, at most 5 each (contacts.MAX_CONTACTS). Only those
-- numbers' staged rows are sorted, so a read of a million numbers is not sorted whole.
UPDATE read_registration AS r
SET contacts = m.contacts
FROM (
    SELECT s.number, (array_agg(DISTINCT s.contact ORDER BY s.contact))[1:5] AS contacts
    FROM audiocodes_binding_stage AS s
    WHERE s.read_id = %(read_id)s AND s.contact IS NOT NULL
      AND s.number IN (SELECT number FROM read_registration WHERE staged > 1)
    GROUP BY s.number
) AS m
WHERE r.number = m.number
