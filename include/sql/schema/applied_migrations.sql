-- The migrations recorded as applied (the record table is named by the caller).
SELECT version FROM {schema_table}
