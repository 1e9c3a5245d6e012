-- Cooling numbers by release date, up to %(until)s. Dates before today are overdue (the daily run has
-- not released them yet); a NULL date is a cooling row without one (the audit repairs it).
SELECT release_date, count(*) AS numbers
FROM number_inventory
WHERE status = 'Cooling' AND (release_date <= %(until)s OR release_date IS NULL)
GROUP BY release_date
ORDER BY release_date NULLS FIRST
