-- One canonical form of a number (issue 25): a DID read under a connection's dial plan keeps the
-- extension of a tel: URI ('+12065551000;ext=524', RFC 3966's spelling), which used to collapse onto
-- the DID. The check keeps 0006's one trim for the usual numbers (digits, with or without a '+'): only
-- a number that is neither is matched further, so writing the usual numbers costs what it did.
ALTER TABLE number_inventory
    DROP CONSTRAINT number_is_normalised,
    ADD CONSTRAINT number_is_normalised CHECK (
        CASE rtrim(number, '0123456789')
            WHEN '' THEN octet_length(number) BETWEEN 1 AND 32
            WHEN '+' THEN octet_length(number) BETWEEN 2 AND 33
            ELSE number ~ '^\+[0-9]{1,32};ext=[0-9]{1,16}$'
        END
    );
-- The dial plan the connection's kept read was made under (dial_plan.DialPlan.describe(); NULL: none).
-- A read under another plan spells the connection's numbers differently: it is not kept until the
-- action canonicalise_numbers has moved the inventory and the kept read to the new plan.
ALTER TABLE audiocodes_connection
    ADD COLUMN IF NOT EXISTS dial_plan text;
