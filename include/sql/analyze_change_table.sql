-- Statistics of the planned changes, so that apply_updates.sql joins them well.
ANALYZE inventory_change
