-- COPY rows into a table ({table} and {columns} are composed as identifiers).
COPY {table} ({columns}) FROM STDIN
