-- The view reads in a read-only, repeatable-read transaction: one snapshot, and no write possible.
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY
