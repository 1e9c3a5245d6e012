-- The connection's search path, to set back after working within a tenant.
SELECT current_setting('search_path')
