"""The Number Inventory view: a page in the Airflow UI and the JSON API it reads.

An Airflow plugin mounts a small FastAPI app under the API server at ``/number-inventory`` and
links it from the navigation (*Browse → Number Inventory*, shown inside the UI). The app answers
only users the API server's auth manager authenticates, exactly as the core API does: the UI's
``_token`` cookie or an ``Authorization: Bearer`` JWT from ``POST /auth/token``. Anonymous API
requests get 401 (403 for a bad token); the page sends them to the login page.

Each request opens its own connection to ``number_inventory_db`` (never at import) and reads in a
read-only transaction (``number_inventory.views``), within the tenant its ``tenant`` parameter names
(empty: the global tenant). The Variable ``number_inventory_view_tenants`` may restrict users to
tenants by role or name (``number_inventory.tenants.visible``): a request for another tenant is
refused with 403, and ``/api/tenants`` lists only the tenants the user may see. Airflow imports this file in every
process that loads plugins, task workers included, so everything heavy is imported inside the
functions that run in the API server.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from airflow.configuration import conf
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from number_inventory.statuses import STATUSES

log = logging.getLogger(__name__)

URL_PREFIX = "/number-inventory"
PAGE = Path(__file__).with_suffix(".html")
# Where the API server serves the app when Airflow runs under a sub-path ([api] base_url).
BASE_PATH = urlsplit(conf.get("api", "base_url", fallback="") or "/").path.rstrip("/") + URL_PREFIX
STATUS = Literal[STATUSES]
LIMIT = Query(50, ge=1, le=500, description="rows per page (at most 500)")
OFFSET = Query(0, ge=0, le=100_000_000, description="rows to skip (slow deep down: use after)")
AFTER_KEY = Query(max_length=80, description="start after this key: the 'next' of the page before")
AFTER_ID = Query(ge=0, description="start after this id: the 'next' of the page before")

ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#51504f" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M22 16.9v3a2 2 0 0 1-2.2 '
    "2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 "
    "2 1.7c.1 1 .4 1.9.7 2.8a2 2 0 0 1-.5 2.1L8 9.9a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 "
    '2.8.7a2 2 0 0 1 1.7 2z"/></svg>'
)


# --- authentication -----------------------------------------------------------------------------


async def _authenticated(request: Request) -> Any:
    """The user of this request as the API server's auth manager sees it (the core API's own
    ``get_user``: a Bearer JWT first, else the UI's ``_token`` cookie); raises 401 or 403."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    return await get_user(request, None, await bearer_scheme(request))


def _check_allowed(request: Request, user: Any) -> None:
    """Raise 403 unless the auth manager lets ``user`` view plugins, as for the UI's plugin pages
    (every role of the simple auth manager may)."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import requires_access_view

    requires_access_view(AccessView.PLUGINS)(request, user)


async def airflow_user(request: Request) -> Any:
    """FastAPI dependency: an authenticated Airflow user allowed to view plugins."""
    user = await _authenticated(request)
    _check_allowed(request, user)
    return user


def _user_keys(user: Any) -> tuple[str, list[str]]:
    """The name and roles of an auth manager's user, as the tenant mapping names them: the simple
    auth manager's user has one ``role``, the FAB auth manager's a list of ``roles``."""
    name = str(user.get_name()) if hasattr(user, "get_name") else str(getattr(user, "username", ""))
    roles = [getattr(role, "name", role) for role in getattr(user, "roles", None) or []]
    if getattr(user, "role", None):
        roles.append(user.role)
    return name, [str(role) for role in roles]


def visible_tenants(user: Any) -> frozenset[str] | None:
    """The tenants ``user`` may see (``None``: every tenant), from the Variable
    ``number_inventory_view_tenants``; a bad Variable is a 503 naming it."""
    from airflow.sdk import Variable

    from number_inventory import tenants
    from number_inventory.settings import SettingError

    try:
        access = tenants.view_access(Variable.get(tenants.VIEW_ACCESS_VARIABLE, default=None))
    except SettingError as exc:
        raise HTTPException(503, str(exc)) from None
    return tenants.visible(access, *_user_keys(user))


def _tenant(
    user: Annotated[Any, Depends(airflow_user)],
    tenant: Annotated[
        str | None,
        Query(max_length=40, description="the tenant whose inventory to read (empty: the global tenant)"),
    ] = None,
) -> str:
    """FastAPI dependency: the tenant a request reads, checked (422) and allowed to its user (403)."""
    from number_inventory import tenants
    from number_inventory.settings import SettingError

    try:
        name = tenants.tenant_name(tenant, what="tenant")
    except SettingError as exc:
        raise HTTPException(422, str(exc)) from None
    allowed = visible_tenants(user)
    if allowed is not None and name not in allowed:
        raise HTTPException(403, f"You may not see {tenants.label(name)}'s inventory")
    return name


# --- reading the inventory ----------------------------------------------------------------------


def _today(timezone: str) -> dt.date:
    """Today on the project's clock, as the DAGs and the connections' ages see it (the wall clock, or
    ``NUMBER_INVENTORY_TODAY`` in a test or simulation)."""
    from number_inventory import clock

    return clock.today(timezone)


def _read(work: Callable[..., Any], tenant: str = "") -> Any:
    """Run ``work(conn, timezone, configured)`` in a read-only transaction on ``number_inventory_db``,
    within ``tenant``'s inventory (404 when it has none), and turn what can go wrong into an HTTP
    answer that says what to fix."""
    import psycopg
    from airflow.exceptions import AirflowNotFoundException

    from number_inventory import tenants, views
    from number_inventory.airflow_glue import variables
    from number_inventory.airflow_glue.connections import inventory_db
    from number_inventory.settings import INVENTORY_CONN_ID, SettingError

    try:
        timezone, configured = variables.timezone(), variables.connection_ids()
        with inventory_db() as conn:
            if not tenants.exists(conn, tenant):
                raise HTTPException(404, f"{tenants.label(tenant)} has no inventory")
            with tenants.within(conn, tenant), views.reading(conn):
                return work(conn, timezone, configured)
    except views.BadQuery as exc:
        raise HTTPException(422, str(exc)) from None
    except SettingError as exc:
        raise HTTPException(503, str(exc)) from None
    except AirflowNotFoundException:
        raise HTTPException(503, f"The Airflow connection {INVENTORY_CONN_ID!r} is not configured") from None
    except psycopg.errors.UndefinedTable:
        raise HTTPException(503, _not_migrated()) from None
    except psycopg.errors.QueryCanceled:
        log.exception("A Number Inventory query took too long")
        raise HTTPException(503, "The inventory database took too long to answer") from None
    except psycopg.OperationalError as exc:
        log.warning("Cannot read %s: %s", INVENTORY_CONN_ID, exc)
        raise HTTPException(503, f"Cannot reach the inventory database ({INVENTORY_CONN_ID})") from None


def _not_migrated() -> str:
    """Why a table the view reads is missing: the inventory's tables are not there yet, or this
    version's migrations are not all applied (the code was upgraded; the next DAG run applies them)."""
    from number_inventory import schema, store
    from number_inventory.airflow_glue.connections import inventory_db
    from number_inventory.settings import INVENTORY_CONN_ID

    try:
        with inventory_db() as conn:
            pending = store.pending_migrations(conn)
            created = schema.FIRST_MIGRATION not in pending
    except Exception:  # the question is a courtesy: the answer is a 503 either way
        log.warning("Could not ask %s which migrations are pending", INVENTORY_CONN_ID, exc_info=True)
        pending, created = [], False
    if created and pending:
        return (
            f"The inventory database is not up to date with this version: migration(s) {', '.join(pending)} "
            "are applied by the next run of any of the number inventory DAGs"
        )
    return "The inventory tables are not there yet: they are created by the first run of a DAG"


def _number(text: str) -> str:
    from number_inventory.views import number_or_none

    number = number_or_none(text)
    if number is None:
        raise HTTPException(422, f"{text!r} is not a number: digits with an optional leading '+'")
    return number


# --- the app ------------------------------------------------------------------------------------

app = FastAPI(
    title="Number Inventory",
    description="The number inventory and its AudioCodes device reads, read-only.",
    docs_url=None,
    redoc_url=None,
    # FastAPI would serve its schema to anyone; it is served below, behind the same login as the API.
    openapi_url=None,
)
User = Annotated[Any, Depends(airflow_user)]
Tenant = Annotated[str, Depends(_tenant)]
SITE = Query(max_length=64, description="only numbers of this site: their own, or a registering connection's")


@app.get("/openapi.json", include_in_schema=False)
def openapi_schema(user: User) -> Any:
    """The API's OpenAPI schema, for signed-in users only (it describes what the API reveals)."""
    from fastapi.openapi.utils import get_openapi

    return get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)


@app.get("/", include_in_schema=False)
async def page(request: Request) -> Response:
    """The page; anonymous visitors are sent to Airflow's login page and come back after it."""
    from airflow.api_fastapi.app import get_auth_manager

    try:
        user = await _authenticated(request)
    except HTTPException:
        return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), 303)
    _check_allowed(request, user)
    nonce = secrets.token_urlsafe(16)
    html = PAGE.read_text(encoding="utf-8").replace("{{nonce}}", nonce)
    return HTMLResponse(
        html,
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                "frame-ancestors 'self'"
            ),
        },
    )


@app.get("/icon.svg", include_in_schema=False)
def icon() -> Response:
    """The navigation icon (public: it shows nothing of the inventory)."""
    return Response(ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@app.get("/api/summary")
def summary(user: User, tenant: Tenant) -> Any:
    """Counts by status and vendor, the AudioCodes share, releases per day for the next 30 days,
    Used / Cooling / Available over the last 30 days, and the latest daily run."""
    from number_inventory import views

    return _read(lambda conn, tz, _: views.summary(conn, _today(tz), tz), tenant)


@app.get("/api/trend")
def trend(
    user: User,
    tenant: Tenant,
    from_: Annotated[dt.date | None, Query(alias="from", description="first day (YYYY-MM-DD)")] = None,
    to: Annotated[dt.date | None, Query(description="last day (YYYY-MM-DD), default today")] = None,
    days: Annotated[
        int | None, Query(description="days ending at 'to' (default 30), instead of 'from'")
    ] = None,
) -> Any:
    """The daily report's trend over a range of days (30 ending today by default): per day the total,
    the counts by status and the day's events; ``missing`` lists days without a report."""
    from number_inventory import views

    def work(conn: Any, timezone: str, _: Any) -> Any:
        first, last = views.trend_range(_today(timezone), from_, to, days)
        return views.report_trend(conn, first, last)

    return _read(work, tenant)


@app.get("/api/numbers")
def numbers(
    user: User,
    tenant: Tenant,
    status: Annotated[STATUS | None, Query()] = None,
    site: Annotated[str | None, SITE] = None,
    prefix: Annotated[str | None, Query(max_length=64)] = None,
    limit: int = LIMIT,
    offset: int = OFFSET,
    after: Annotated[str | None, AFTER_KEY] = None,
) -> Any:
    """One page of inventory rows in number order, by status, number prefix and site; ``next`` is the
    ``after`` of the page that follows."""
    from number_inventory import views

    return _read(
        lambda conn, *_: views.numbers_page(
            conn,
            status=status,
            prefix=views.parse_prefix(prefix),
            limit=limit,
            offset=offset,
            after=after,
            site=views.parse_site(site),
        ),
        tenant,
    )


@app.get("/api/cooling")
def cooling(
    user: User,
    tenant: Tenant,
    site: Annotated[str | None, SITE] = None,
    prefix: Annotated[str | None, Query(max_length=64)] = None,
    sort: Literal["release_date", "number"] = "release_date",
    order: Literal["asc", "desc"] = "asc",
    limit: int = LIMIT,
    offset: int = OFFSET,
    after: Annotated[str | None, AFTER_KEY] = None,
) -> Any:
    """The cooling queue: number, release date, days left, the connection it was last seen on;
    ``next`` is the ``after`` of the page that follows."""
    from number_inventory import views

    return _read(
        lambda conn, tz, _: views.cooling_queue(
            conn,
            _today(tz),
            prefix=views.parse_prefix(prefix),
            sort=sort,
            descending=order == "desc",
            limit=limit,
            offset=offset,
            after=after,
            site=views.parse_site(site),
        ),
        tenant,
    )


NUMBER = PathParam(max_length=64, description="a number, e.g. 4930100 or +14155550100")


@app.get("/api/numbers/{number}")
def number(user: User, tenant: Tenant, number: Annotated[str, NUMBER]) -> Any:
    """One number: its inventory row, the connections that register it, its cooling details."""
    from number_inventory import views

    wanted = _number(number)
    found = _read(lambda conn, tz, _: views.number_detail(conn, wanted, _today(tz)), tenant)
    if found["row"] is None and not found["registrations"]:
        raise HTTPException(404, f"{wanted} is not in the inventory")
    return found


@app.get("/api/numbers/{number}/history")
def number_history(
    user: User,
    tenant: Tenant,
    number: Annotated[str, NUMBER],
    limit: int = Query(100, ge=1, le=500),
    offset: int = OFFSET,
    after: Annotated[int | None, AFTER_ID] = None,
) -> Any:
    """The history of one number, newest first; ``next`` is the ``after`` of the page that follows."""
    from number_inventory import views

    wanted = _number(number)
    return _read(
        lambda conn, *_: views.number_history(conn, wanted, limit=limit, offset=offset, after=after), tenant
    )


@app.get("/api/changes")
def changes(
    user: User,
    tenant: Tenant,
    limit: int = LIMIT,
    offset: int = OFFSET,
    after: Annotated[int | None, AFTER_ID] = None,
) -> Any:
    """Recent changes to the inventory (the history), newest first; ``next`` is the ``after`` of the
    page that follows."""
    from number_inventory import views

    return _read(lambda conn, *_: views.recent_changes(conn, limit=limit, offset=offset, after=after), tenant)


@app.get("/api/audit")
def audit(
    user: User,
    tenant: Tenant,
    limit: int = LIMIT,
    offset: int = OFFSET,
    after: Annotated[int | None, AFTER_ID] = None,
) -> Any:
    """The latest daily run's audit: its summary and its findings; ``next`` is the ``after`` of the
    page that follows."""
    from number_inventory import views

    return _read(lambda conn, *_: views.latest_audit(conn, limit=limit, offset=offset, after=after), tenant)


@app.get("/api/connections")
def connections(user: User, tenant: Tenant) -> Any:
    """Each connection: configured or not, last complete read (time, age, bindings, numbers), the last
    failure and why, and whether it is stale (older than ``audiocodes_max_read_age_hours``, or never
    read), measured on the project's clock as the daily audit measures it."""
    from airflow.sdk import Variable

    from number_inventory import clock, settings, views

    def work(conn: Any, timezone: str, configured: list[str]) -> Any:
        hours = settings.max_read_age_hours(Variable.get(settings.READ_AGE_VARIABLE, default=None))
        return views.connections(
            conn,
            _of_tenant(configured, tenant),
            now=clock.now(timezone),
            max_read_age=dt.timedelta(hours=hours),
        )

    return _read(work, tenant)


def _of_tenant(configured: list[str], tenant: str) -> list[str]:
    """The configured connections of ``tenant`` (their extra ``tenant``)."""
    from number_inventory.airflow_glue.connections import tenants_of

    tenant_of = tenants_of(configured)
    return [c for c in configured if tenant_of.get(c, "") == tenant]


@app.get("/api/tenants")
def tenant_list(user: User) -> Any:
    """The tenants this user may see: the global one (``""``) and each named tenant with an inventory."""
    from number_inventory import tenants

    allowed = visible_tenants(user)
    known = _read(lambda conn, *_: tenants.known(conn))
    names = [name for name in [tenants.GLOBAL, *known] if allowed is None or name in allowed]
    return {"tenants": [{"name": name, "label": name or "global"} for name in names]}


# --- export and provisioning (issue 25) ----------------------------------------------------------

TEXT = Query(max_length=200)


def _filter(**given: str | None) -> Any:
    from number_inventory import exports, views

    try:
        return exports.NumberFilter.parse(**given)
    except views.BadQuery as exc:
        raise HTTPException(422, str(exc)) from None


@app.get("/api/next-free")
def next_free(
    user: User,
    tenant: Tenant,
    count: Annotated[int, Query(ge=1, le=1000, description="how many numbers (at most 1000)")] = 10,
    site: Annotated[str | None, TEXT] = None,
    first: Annotated[str | None, Query(max_length=64, description="the range's first number")] = None,
    last: Annotated[str | None, Query(max_length=64, description="the range's last number")] = None,
    prefix: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """The first ``count`` Available numbers of a tenant, site, range or prefix, in number order, for
    provisioning systems. Reads only: it reserves nothing (reserving is the ``reserve`` action)."""
    from number_inventory import exports, tenants

    wanted = _filter(site=site, first=first, last=last, prefix=prefix)

    def work(conn: Any, *_: Any) -> Any:
        name = exports.check_tenant(conn, tenant)
        with tenants.within(conn, name):
            found = exports.next_free(conn, wanted, count)
        return {"tenant": name, "site": wanted.site, "count": len(found), "numbers": found}

    return _read(work)


@app.get("/api/numbers.csv")
def export_numbers(
    user: User,
    tenant: Tenant,
    status: Annotated[STATUS | None, Query()] = None,
    vendor: Annotated[str | None, Query(max_length=100, description="a vendor ('' for none)")] = None,
    prefix: Annotated[str | None, Query(max_length=64)] = None,
    site: Annotated[str | None, TEXT] = None,
) -> Response:
    """The inventory rows the filters match as CSV, in number order, streamed: ten million rows are
    sent as they are read, never held in memory."""
    from fastapi.responses import StreamingResponse

    from number_inventory import exports

    wanted = _filter(status=status, vendor=vendor, prefix=prefix, site=site)
    # Checked before the response starts: a bad tenant is an HTTP error, not a CSV cut short.
    checked = _read(lambda conn, *_: exports.check_tenant(conn, tenant))
    name = f"numbers-{checked}.csv" if checked else "numbers.csv"
    return StreamingResponse(
        _export(checked, wanted),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _export(tenant: str, wanted: Any) -> Any:
    """The CSV's chunks, read on a connection of its own that lives as long as the response."""
    from number_inventory import exports, tenants, views
    from number_inventory.airflow_glue.connections import inventory_db

    with (
        inventory_db() as conn,
        tenants.within(conn, tenant),
        views.reading(conn, timeout_ms=exports.EXPORT_TIMEOUT_MS),
    ):
        yield from exports.export_csv(conn, wanted)


class NumberInventoryViewPlugin(AirflowPlugin):
    """Registers the app with the API server and links its page from the navigation."""

    name = "number_inventory_view"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": app, "url_prefix": URL_PREFIX, "name": "Number Inventory"}
    ]
    external_views: ClassVar[list[dict[str, Any]]] = [
        {
            "name": "Number Inventory",
            "href": f"{BASE_PATH}/",
            "url_route": "number-inventory",
            "destination": "nav",
            "category": "browse",
            "icon": f"{BASE_PATH}/icon.svg",
        }
    ]
