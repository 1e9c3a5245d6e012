-- Statistics of the purged numbers, so that the purge's range queries join them well.
ANALYZE purged_number
