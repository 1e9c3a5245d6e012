-- Every number the purged connection's kept read registers (an active binding), once (the key is
-- number and connection), and whether the kept read of any other connection, configured or not,
-- registers it too. Run before the registrations are deleted.
INSERT INTO purged_number (number, elsewhere)
SELECT r.number,
       EXISTS (SELECT FROM audiocodes_registration AS o
               WHERE o.number = r.number AND o.connection_id <> r.connection_id AND o.active)
FROM audiocodes_registration AS r
WHERE r.connection_id = %(connection_id)s AND r.active
