-- Note that the migration %(version)s is applied.
INSERT INTO number_inventory_schema (version) VALUES (%(version)s)
