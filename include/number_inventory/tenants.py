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
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from number_inventory.settings import SettingError

#: The global tenant: the inventory connection's own search path.
GLOBAL = ""
#: A named tenant's schema is this prefix and its name.
SCHEMA_PREFIX = "tenant_"
#: Lower-case letters, digits and ``_``, starting with a letter; the schema name stays well within
#: PostgreSQL's 63 bytes.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
#: A site's name: short free text (``Berlin HQ``, ``fra-2``), as an operator types it into a filter.
_SITE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}")


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


def site_name(value: Any, *, what: str = "site") -> str:
    """Validate a site's name (``None`` or empty: no site); a :class:`SettingError` names ``what``."""
    text = value.strip() if isinstance(value, str) else value
    if text is None or text == "" or (isinstance(text, str) and _SITE.fullmatch(text)):
        return text or ""
    raise SettingError(
        f"{what} must be empty or a short name of letters, digits, spaces and _ . - starting with a "
        f"letter or digit, at most 64 characters (e.g. 'Berlin HQ'), got {value!r}"
    )


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


@contextlib.contextmanager
def naming(tenant: str) -> Iterator[None]:
    """Errors raised in the block name ``tenant`` first when it is a named one (``tenant 'acme':
    connection 'sbc1' has no kept read ...``), so that an operator sees which inventory refused."""
    try:
        yield
    except Exception as exc:
        if tenant:
            exc.args = (f"{label(tenant)}: {exc}", *exc.args[1:])
        raise


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


def groups(
    connection_ids: Iterable[str], tenant_of: Mapping[str, str], also: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The configured connections of each tenant, the global tenant first and then the named ones
    by name: each connection's tenant is ``tenant_of`` (absent: the global tenant). ``also`` adds
    tenants that have no configured connection (the known ones: a tenant whose last connection was
    removed still has its kept reads audited). Every step that works per tenant runs once for each,
    with that tenant's connections alone."""
    found: dict[str, list[str]] = {GLOBAL: []}
    for tenant in sorted({*also, *tenant_of.values()} - {GLOBAL}):
        found[tenant] = []
    for connection_id in connection_ids:
        found[tenant_of.get(connection_id, GLOBAL)].append(connection_id)
    return found


def migrate_all(conn: Any, named: Iterable[str]) -> dict[str, list[str]]:
    """Bring the global inventory and each of the ``named`` tenants' up to date, creating a named
    tenant's schema on its first use; the migrations applied, by tenant (only where some were)."""
    from number_inventory import store

    applied = {GLOBAL: store.migrate(conn)}
    for tenant in sorted(set(named) - {GLOBAL}):
        # Only a missing schema is created: a role that may not create runs no DDL once all is there.
        with within(conn, tenant, create=not exists(conn, tenant)):
            applied[tenant] = store.migrate(conn)
    return {tenant: names for tenant, names in applied.items() if names}


#: The Variable that restricts the Number Inventory view's users to tenants: a JSON object from an
#: Airflow role or user name (or ``*``: everyone) to the tenants it may see (``""``: the global
#: tenant, ``*``: every tenant). Not set: every user sees every tenant.
VIEW_ACCESS_VARIABLE = "number_inventory_view_tenants"
EVERY = "*"


def view_access(raw: Any) -> dict[str, frozenset[str]] | None:
    """The Variable :data:`VIEW_ACCESS_VARIABLE` (its JSON text or the value), checked: ``None`` when
    it is not set (no restriction); a :class:`SettingError` names the Variable and what is wrong."""
    import json

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    what = f"Variable {VIEW_ACCESS_VARIABLE!r}"
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise SettingError(f"{what} must be JSON ({exc})") from None
    example = '{"Admin": ["*"], "acme-ops": ["acme"], "*": [""]}'
    if not isinstance(raw, dict):
        raise SettingError(
            f"{what} must be an object of role or user names to lists of tenants, e.g. {example}"
        )
    access = {}
    for key, names in raw.items():
        if not isinstance(names, list):
            raise SettingError(
                f"{what}: {key!r} must map to a list of tenants, e.g. {example}, got {names!r}"
            )
        access[key] = frozenset(
            name if name == EVERY else tenant_name(name, what=f"{what}: a tenant of {key!r}")
            for name in names
        )
    return access


def visible(
    access: dict[str, frozenset[str]] | None, user: str, roles: Iterable[str]
) -> frozenset[str] | None:
    """The tenants a view user called ``user`` with ``roles`` may see under ``access``
    (:func:`view_access`): those listed for the user's name, for any of its roles (in any case) and
    for ``*``; ``None`` means every tenant (no restriction, or ``*`` among them)."""
    if access is None:
        return None
    folded = {role.casefold() for role in roles}
    seen: set[str] = set()
    for key, names in access.items():
        if key in (EVERY, user) or key.casefold() in folded:
            seen |= names
    return None if EVERY in seen else frozenset(seen)
