"""Tenants: whose numbers a connection registers, and where a tenant's inventory lives.

A connection belongs to a tenant (its extra ``tenant``, default empty: the global tenant, today's
single inventory). Each named tenant's inventory is a PostgreSQL schema of its own holding the whole
table set — inventory, history, kept reads, runs, findings, report — created and migrated by the
same migrations as the global one, whose tables stay where they are (the inventory database
connection's search path). Every statement of the project names its tables unqualified, so working
"within a tenant" is one ``search_path``: a number is unique within its tenant by the inventory's
own primary key, and no statement of one tenant can see, cool or release another's rows. A role can
be granted a tenant's schema alone (``GRANT USAGE ON SCHEMA tenant_acme``).

Tenant names are lower-case identifiers (``acme``, ``customer_b``): they become part of a schema
name, and an operator types them into the view's filter and the actions' form.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from number_inventory.settings import SettingError

#: The global tenant: the inventory connection's own search path.
GLOBAL = ""
#: A named tenant's schema is this prefix and its name.
SCHEMA_PREFIX = "tenant_"
#: Lower-case letters, digits and ``_``, starting with a letter; the schema name stays well within
#: PostgreSQL's 63 bytes.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def tenant_name(value: Any, *, what: str = "tenant") -> str:
    """Validate a tenant name (``None`` or empty: the global tenant); a :class:`SettingError` names
    ``what`` (an extra, a parameter) and the names allowed."""
    if value is None:
        return GLOBAL
    if not isinstance(value, str):
        raise SettingError(f"{what} must be text, got {value!r}")
    text = value.strip()
    if text and not _NAME.fullmatch(text):
        raise SettingError(
            f"{what} must be empty (the global tenant) or a lower-case name of letters, digits and _ "
            f"starting with a letter, at most 40 characters (e.g. 'acme'), got {value!r}"
        )
    return text


def schema_of(tenant: str) -> str | None:
    """The schema holding a named tenant's inventory; ``None`` for the global tenant."""
    return SCHEMA_PREFIX + tenant_name(tenant) if tenant else None


def label(tenant: str) -> str:
    """How a tenant is named in messages."""
    return f"tenant {tenant!r}" if tenant else "the global tenant"


@contextlib.contextmanager
def within(conn: Any, tenant: str, *, create: bool = False) -> Iterator[None]:
    """Run the block with ``conn`` (an autocommit psycopg connection) working on ``tenant``'s
    inventory: its ``search_path`` is the tenant's schema alone, and set back afterwards. ``create``
    creates the schema when it is missing (the migrations then create its tables); otherwise a
    tenant without a schema is a :class:`SettingError`. The global tenant changes nothing."""
    from psycopg import sql as pgsql

    from number_inventory.store.sql_files import sql

    schema = schema_of(tenant)
    if schema is None:
        yield
        return
    if create:
        conn.execute(pgsql.SQL(sql("tenants/create_schema")).format(schema=pgsql.Identifier(schema)))
    elif not exists(conn, tenant):
        raise SettingError(f"{label(tenant)} has no inventory yet (no schema {schema!r})")
    before = conn.execute(sql("tenants/search_path")).fetchone()[0]
    path = pgsql.Identifier(schema).as_string(conn)
    conn.execute(sql("tenants/set_search_path"), {"search_path": path})
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            conn.execute(sql("tenants/set_search_path"), {"search_path": before})


def exists(conn: Any, tenant: str) -> bool:
    """Whether ``tenant`` has an inventory (the global tenant always has)."""
    schema = schema_of(tenant)
    if schema is None:
        return True
    from number_inventory.store.sql_files import sql

    return conn.execute(sql("tenants/schema_exists"), {"schema": schema}).fetchone()[0]


def known(conn: Any) -> list[str]:
    """The named tenants with an inventory, by name (the global tenant not included)."""
    from number_inventory.store.sql_files import sql

    rows = conn.execute(sql("tenants/known_tenants"), {"prefix": SCHEMA_PREFIX})
    names = (schema.removeprefix(SCHEMA_PREFIX) for (schema,) in rows)
    return [name for name in names if _NAME.fullmatch(name)]
