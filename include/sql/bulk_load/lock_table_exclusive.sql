-- Take the table's ACCESS EXCLUSIVE lock ({table} is composed as an identifier).
LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE
