-- What keeping a read changes (reads/collect_read.sql) is a few rows of a steady read, or every row of a
-- first one: with its real size known, the promotion looks those few up by key instead of scanning
-- the connection's kept registrations for each statement.
ANALYZE read_registration
