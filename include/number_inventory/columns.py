"""The inventory's columns and the change rows' columns, shared by ``transitions`` (pandas) and
``store`` (PostgreSQL) without importing pandas: a task that only reads a device or checks the schema
does not pay for it."""

from __future__ import annotations

FIELDS = ("status", "usage", "vendor", "tag", "release_date")
INVENTORY_COLUMNS = ("number", *FIELDS)
BEFORE = tuple(f"before_{f}" for f in FIELDS)
CHANGE_COLUMNS = ("number", "reason", "is_new", *BEFORE, *FIELDS)
FINDING_COLUMNS = ("number", "check", "repaired", *BEFORE, *FIELDS)
