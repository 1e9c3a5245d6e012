-- The connection's kept read now holds its numbers in the canonical form of this dial plan: its next
-- read, under the plan, may be kept (reads/connection_dial_plan.sql).
UPDATE audiocodes_connection SET dial_plan = %(dial_plan)s WHERE connection_id = %(connection_id)s
