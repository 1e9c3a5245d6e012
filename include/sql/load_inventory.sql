-- The inventory as CSV for pandas: empty values as '', dates as YYYY-MM-DD.
COPY (
    SELECT number, status, coalesce(usage, ''), coalesce(vendor, ''), coalesce(tag, ''),
           coalesce(to_char(release_date, 'YYYY-MM-DD'), '')
    FROM number_inventory
) TO STDOUT WITH (FORMAT csv)
