-- An audit finding about a whole connection.
INSERT INTO audit_connection_finding (dag_id, run_id, run_day, connection_id, "check", numbers, message)
VALUES (%(dag_id)s, %(run_id)s, %(run_day)s, %(connection_id)s, %(check)s, %(numbers)s, %(message)s)
