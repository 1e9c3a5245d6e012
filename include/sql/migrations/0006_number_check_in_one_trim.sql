-- The same rule as 0003's (an optional '+', then 1 to 32 ASCII digits) with one trim instead of two
-- and a length in bytes: what is left after trimming the digits off the end says whether there is a
-- '+', and the digits are then single bytes. A third cheaper again per written row (issue 4).
ALTER TABLE number_inventory
    DROP CONSTRAINT number_is_normalised,
    ADD CONSTRAINT number_is_normalised CHECK (
        CASE rtrim(number, '0123456789')
            WHEN '' THEN octet_length(number) BETWEEN 1 AND 32
            WHEN '+' THEN octet_length(number) BETWEEN 2 AND 33
            ELSE false
        END
    );
