-- Whether the inventory holds any number of one number range (as in load_inventory_in_range.sql;
-- NULL bounds: everything): two probes of the primary key. A range it holds none of is loaded in the
-- database (park_registered_in_range.sql), as the transition table would: every registered number
-- inserted Used/Device/AudioCodes.
SELECT EXISTS (
           SELECT FROM number_inventory
           WHERE number >= greatest(%(low)s::text COLLATE "C", ',')
             AND (%(high)s::text IS NULL OR number < %(high)s::text)
       )
    OR EXISTS (
           SELECT FROM number_inventory
           WHERE number >= '+' || coalesce(%(low)s::text, '')
             AND number < coalesce('+' || %(high)s::text, ',')
       )
