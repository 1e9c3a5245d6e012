-- The record of applied migrations, created with the first one.
CREATE TABLE number_inventory_schema (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
