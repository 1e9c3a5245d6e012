-- Which of the checks named %(names)s the table %(table)s has already.
SELECT conname FROM pg_constraint WHERE conrelid = %(table)s::regclass AND conname = ANY (%(names)s)
