"""The inventory's status values, exactly as in the SPEC. Imports nothing, so the UI plugin can
validate a status at import time without loading pandas."""

AVAILABLE, USED, USED_UTILITY, RESERVED, COOLING = "Available", "Used", "Used-Utility", "Reserved", "Cooling"
STATUSES = (AVAILABLE, USED, USED_UTILITY, RESERVED, COOLING)
