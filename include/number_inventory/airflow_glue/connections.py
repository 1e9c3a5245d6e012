"""The connections a task opens: the inventory database and the AudioCodes devices.

Everything about where and how to connect comes from Airflow connections; a connection that is not
defined, or a database that does not exist or refuses the login, is a fault no retry fixes and is
named as such.
"""

from __future__ import annotations

import logging
import re

from airflow.sdk.exceptions import AirflowNotFoundException

from number_inventory import settings

log = logging.getLogger(__name__)


class MissingConnection(AirflowNotFoundException):
    """An Airflow connection the pipeline needs is not defined."""


def require_connections(connection_ids: list[str]) -> None:
    """Raise :class:`MissingConnection`, naming them all, when connection ids of the Variable are not
    defined in Airflow (asked of Airflow at run time, through the SDK, as a read would)."""
    from airflow.sdk import Connection

    missing = []
    for connection_id in connection_ids:
        try:
            Connection.get(connection_id)
        except AirflowNotFoundException:
            problem = unreadable(connection_id)
            if problem:
                raise MissingConnection(problem) from None
            missing.append(connection_id)
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise MissingConnection(
            f"{'connection' if len(missing) == 1 else 'connections'} {names} "
            f"{'is' if len(missing) == 1 else 'are'} not defined in Airflow (listed in the Variable "
            f"{settings.CONNECTIONS_VARIABLE!r}): add {'it' if len(missing) == 1 else 'them'} "
            "(Admin → Connections, or AIRFLOW_CONN_<ID>), or run audiocodes_connection_purge to "
            "decommission a device; nothing was read"
        )


def unreadable(connection_id: str) -> str | None:
    """Why a connection that Airflow reports as not defined is in fact defined but cannot be read
    (``"port": "abc"`` in a connection written as JSON), or ``None`` when no secrets backend has it.
    Airflow's lookup swallows each backend's error and says "isn't defined"; this asks them again."""
    from airflow.sdk.exceptions import AirflowSecretsBackendAccessDenied
    from airflow.sdk.execution_time.supervisor import ensure_secrets_backend_loaded

    from number_inventory.scrub import scrub

    for backend in ensure_secrets_backend_loaded():
        try:
            backend.get_connection(conn_id=connection_id)
        except AirflowSecretsBackendAccessDenied:
            return None
        except Exception as exc:
            text = scrub(str(exc))
            port = "port" in text.lower()
            return (
                f"connection {connection_id!r} is defined ({type(backend).__name__}) but cannot be read: "
                f"{text}"
                + (
                    "; the port must be a whole number such as 443, or left out"
                    if port
                    else "; correct it (Admin → Connections, or AIRFLOW_CONN_<ID>)"
                )
                + "; nothing was read"
            )
    return None


def database_problem(error: Exception) -> str | None:
    """What to do about a failed connection to the inventory database that no retry can fix, or
    ``None`` for one that may pass (a server restarting, a network fault). PostgreSQL refuses a
    connection before any SQLSTATE reaches the client, so this reads its message."""
    text = str(error)
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        name = missing[1]
        return (
            f'database "{name}" does not exist: create it (createdb {name}, or CREATE DATABASE {name} '
            f"as a role that may), or point the connection {settings.INVENTORY_CONN_ID!r} at the right one"
        )
    if re.search(r'password authentication failed|role "[^"]+" does not exist|no password supplied', text):
        return (
            f"cannot log in to the inventory database: check the login and password of the connection "
            f"{settings.INVENTORY_CONN_ID!r}"
        )
    return None


def inventory_db(*, migrate: bool = False):
    """An autocommit psycopg connection to ``number_inventory_db``; ``migrate`` brings the schema up
    to date first (idempotent). Raises :class:`MissingConnection` when the connection is not defined
    (a task decorated with :func:`fails_at_once` then fails at once, as it does when the database does
    not exist or refuses the login)."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from number_inventory import store

    try:
        conn = PostgresHook(postgres_conn_id=settings.INVENTORY_CONN_ID).get_conn()
    except AirflowNotFoundException:
        raise MissingConnection(
            f"connection {settings.INVENTORY_CONN_ID!r} is not defined in Airflow: add it (Admin → "
            "Connections, or AIRFLOW_CONN_NUMBER_INVENTORY_DB), pointing at the inventory database"
        ) from None
    conn.autocommit = True
    if migrate:
        applied = store.migrate(conn)
        if applied:
            log.info("Applied schema migrations: %s", ", ".join(applied))
    return conn


def device_hook(connection_id: str):
    """The hook of one AudioCodes connection, whatever its type (``audiocodes``, or ``http`` with the
    same extras); its contract is checked here, so a bad extra fails before a read is begun."""
    from number_inventory.provider.hooks.audiocodes import AudioCodesHook

    hook = AudioCodesHook(audiocodes_conn_id=connection_id)
    try:
        hook.contract()
    except AirflowNotFoundException:
        problem = unreadable(connection_id)
        if problem:
            raise settings.SettingError(problem) from None
        raise
    return hook


def tenants_of(connection_ids: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The named tenant of each of ``connection_ids`` that has one (its extra ``tenant``, validated);
    a connection that Airflow does not define is left to the global tenant here (the sync fails on it
    in ``require_connections``; the daily audit finds it never read)."""
    from airflow.sdk import Connection

    from number_inventory import tenants

    found = {}
    for connection_id in connection_ids:
        try:
            extras = Connection.get(connection_id).extra_dejson
        except AirflowNotFoundException:
            continue
        tenant = tenants.tenant_name(
            extras.get("tenant"), what=f"Connection {connection_id!r}: extra 'tenant'"
        )
        if tenant:
            found[connection_id] = tenant
    return found
