-- Adopting a table without a primary key: number becomes its primary key.
ALTER TABLE {table} ADD PRIMARY KEY (number)
