"""Reading the inventory out for other systems (issue 25): a CSV export of every row a filter
matches, streamed, and the next free numbers for provisioning.

Both read within a tenant (``tenants.within``), in the view's read-only transaction
(``views.reading``). The export is one ``COPY (SELECT ...) TO STDOUT``: the server streams the rows
in number order and :func:`export_csv` hands them on in chunks of about ``CHUNK_BYTES``, so ten
million rows never sit in memory, here or in the API server. The next free numbers are an index
scan of the primary key in order that stops after ``count`` rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql as pgsql

from number_inventory import numbers as nums
from number_inventory import tenants
from number_inventory.settings import SettingError
from number_inventory.statuses import STATUSES
from number_inventory.store.bulk_load import setting
from number_inventory.store.sql_files import sql
from number_inventory.views import BadQuery, _number_filter, parse_prefix

#: The export hands the rows on in chunks of about this many bytes.
CHUNK_BYTES = 256 * 1024
#: How long the export's statement may run (the view's other reads have 10 seconds): ten million
#: rows take about a minute.
EXPORT_TIMEOUT_MS = 30 * 60 * 1000
#: At most this many next free numbers per request.
MAX_FREE = 1000
#: The columns of the export, in order (its header line).
EXPORT_COLUMNS = ("number", "status", "usage", "vendor", "tag", "release_date", "site", "label", "updated_at")


def check_tenant(conn: psycopg.Connection, tenant: str | None) -> str:
    """The tenant a request names (empty: the global one), validated and with an inventory;
    :class:`BadQuery` says what is wrong."""
    try:
        name = tenants.tenant_name(tenant, what="tenant")
    except SettingError as exc:
        raise BadQuery(str(exc)) from None
    if not tenants.exists(conn, name):
        raise BadQuery(f"{tenants.label(name)} has no inventory")
    return name


@dataclass(frozen=True)
class NumberFilter:
    """Which rows an export or a next-free request reads: a status, a vendor (``""``: none), a number
    prefix, a range (``first`` to ``last``, same spelling and number of digits), a site."""

    status: str | None = None
    vendor: str | None = None
    prefix: str | None = None
    first: str | None = None
    last: str | None = None
    site: str | None = None

    @classmethod
    def parse(cls, **given: str | None) -> NumberFilter:
        """Check what a request typed; :class:`BadQuery` names the parameter."""
        status = given.get("status") or None
        if status is not None and status not in STATUSES:
            raise BadQuery(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        ends = {}
        for name in ("first", "last"):
            text = given.get(name)
            if text is None or not text.strip():
                ends[name] = None
                continue
            ends[name] = nums.normalise_number(text)
            if ends[name] is None:
                raise BadQuery(f"{name} must be a number (digits with an optional leading '+'), got {text!r}")
        first, last = ends["first"], ends["last"]
        if first and last and len(first) != len(last):
            raise BadQuery(f"first ({first}) and last ({last}) must have the same number of characters")
        site, vendor = given.get("site"), given.get("vendor")
        return cls(
            status=status,
            vendor=vendor.strip() if vendor is not None else None,
            prefix=parse_prefix(given.get("prefix")),
            first=first,
            last=last,
            site=site.strip() if site and site.strip() else None,
        )

    def where(self) -> tuple[pgsql.Composable, dict[str, Any]]:
        """The ``WHERE`` condition and its parameters; bounds on ``number`` first, so the primary
        key's range is what is scanned."""
        where, params = _number_filter(self.prefix)
        parts = [where]
        if self.first:
            parts.append(pgsql.SQL('number COLLATE "C" >= %(first)s'))
            params["first"] = self.first
        if self.last:
            parts.append(pgsql.SQL('number COLLATE "C" <= %(last)s'))
            params["last"] = self.last
        if self.first or self.last:
            # A range is of numbers as long as its ends ("+4930123000" to "+4930123999").
            parts.append(pgsql.SQL("length(number) = %(length)s"))
            params["length"] = len(self.first or self.last or "")
        if self.status:
            parts.append(pgsql.SQL("status = %(status)s"))
            params["status"] = self.status
        if self.vendor is not None:
            parts.append(pgsql.SQL("coalesce(vendor, '') = %(vendor)s"))
            params["vendor"] = self.vendor
        if self.site:
            parts.append(pgsql.SQL("site = %(site)s"))
            params["site"] = self.site
        return pgsql.SQL(" AND ").join(parts), params


def next_free_query(wanted: NumberFilter, count: int) -> tuple[pgsql.Composable, dict[str, Any]]:
    """The statement of :func:`next_free` and its parameters."""
    if not 1 <= count <= MAX_FREE:
        raise BadQuery(f"count must be from 1 to {MAX_FREE}, got {count}")
    where, params = wanted.where()
    return pgsql.SQL(sql("view/next_free")).format(where=where), {**params, "limit": count}


@contextlib.contextmanager
def in_index_order(conn: psycopg.Connection) -> Iterator[None]:
    """Inside the caller's transaction: plans that read an index in number order and stop at the
    limit. The planner, guessing that few rows of a range have its length, would rather collect the
    whole range from a bitmap and sort it: a million rows for a range of a million."""
    with setting(conn, "enable_bitmapscan", "off"), setting(conn, "enable_sort", "off"):
        yield


def next_free(conn: psycopg.Connection, wanted: NumberFilter, count: int) -> list[str]:
    """Inside a transaction: the first ``count`` Available numbers that ``wanted`` matches, in number
    order. Reserves nothing: two callers may get the same numbers (reserving is the ``reserve``
    action)."""
    query, params = next_free_query(wanted, count)
    with in_index_order(conn):
        return [number for (number,) in conn.execute(query, params)]


def export_query(wanted: NumberFilter) -> tuple[pgsql.Composable, dict[str, Any]]:
    """The ``COPY`` statement of :func:`export_csv` and its parameters."""
    where, params = wanted.where()
    return pgsql.SQL(sql("view/export_numbers")).format(where=where), params


def export_csv(conn: psycopg.Connection, wanted: NumberFilter) -> Iterator[bytes]:
    """The rows ``wanted`` matches as CSV (a header line, then one line per row in number order), in
    chunks of about ``CHUNK_BYTES``. Run it inside a read-only transaction on ``conn``; the rows
    arrive from the server as they are read, and only one chunk is held at a time."""
    query, params = export_query(wanted)
    chunk: list[bytes] = []
    size = 0
    with conn.cursor().copy(query, params) as copy:
        for data in copy:
            chunk.append(bytes(data))
            size += len(data)
            if size >= CHUNK_BYTES:
                yield b"".join(chunk)
                chunk, size = [], 0
    if chunk:
        yield b"".join(chunk)
