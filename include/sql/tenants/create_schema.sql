-- A named tenant's schema, where the migrations then create its tables (see number_inventory.tenants).
CREATE SCHEMA IF NOT EXISTS {schema}
