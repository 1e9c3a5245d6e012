"""Inventories for the view's tests, made by the real pipeline: device servers over real HTTP,
``pipeline.read_connection`` / ``sync`` / ``daily`` day after day, as the DAGs would run them.

``scenario`` is small and exact (the API tests assert every figure); ``realistic`` is a few
thousand numbers over three weeks, for the browser test and the README's screenshot.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import partial

import requests

from devtools.device_server import DeviceServer
from number_inventory import pipeline
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import DeviceReadError, read_registered_users
from number_inventory.settings import MassRemovalGuard
from number_inventory.store import ReadRejected, RunInfo

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"


@dataclass
class Fleet:
    """Connections (device servers) and the inventory database they are reconciled into."""

    conn: object
    devices: dict[str, DeviceServer]
    passwords: dict[str, str]
    cooling_days: int = 2
    failures: dict[str, str] = field(default_factory=dict)

    def sync(self, day: dt.date) -> RunInfo:
        """Read every connection, then reconcile: the sync DAG's run for ``day``."""
        run = RunInfo(SYNC, f"scheduled__{day}T01:00:00+00:00", day)
        self.failures = {}
        for connection_id, device in self.devices.items():
            session = requests.Session()
            session.auth = (device.username, self.passwords[connection_id])
            contract = Contract(page_size=200, retries=1, backoff_seconds=0.01, timeout_seconds=5)
            try:
                read = partial(read_registered_users, session, device.url, contract)
                pipeline.read_connection(self.conn, read, connection_id, run, guard=MassRemovalGuard())
            except (DeviceReadError, ReadRejected) as exc:
                self.failures[connection_id] = str(exc)
        pipeline.sync(self.conn, run, list(self.devices), self.cooling_days)
        return run

    def daily(self, day: dt.date) -> RunInfo:
        """Release and audit: the daily DAG's run for ``day``."""
        run = RunInfo(DAILY, f"scheduled__{day}T02:00:00+00:00", day)
        now = dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC)  # what the DAG's clock would say
        pipeline.daily(self.conn, run, list(self.devices), self.cooling_days, now=now)
        return run

    def day(self, day: dt.date) -> None:
        self.sync(day)
        self.daily(day)


def scenario(conn, a: DeviceServer, b: DeviceServer, passwords: dict[str, str], today: dt.date) -> Fleet:
    """Four days ending ``today`` on connections ``audiocodes_a`` and ``audiocodes_b``:

    - loaded by the operator: 1100-1109 Available, 1020 Used by Microsoft, 1021 Reserved,
      1022 Used-Utility;
    - day 1: A registers 1000-1004 and 1020 (a conflict), B registers 2000-2002 and 1004;
    - day 2: 1000 leaves A (cools until day 4: last seen on A);
    - day 3: 1001 leaves A and 2000 leaves B in the same run (both cool until day 5; either
      connection may have had them);
    - day 4 (today): B answers 503 and keeps its day-3 read; 1002 leaves A (cools until day 6, last
      seen on A); the daily run releases 1000.
    """
    d1, d2, d3, d4 = (today - dt.timedelta(days=n) for n in (3, 2, 1, 0))
    conn.execute("INSERT INTO number_inventory (number) SELECT generate_series(1100, 1109)::text")
    conn.execute(
        "INSERT INTO number_inventory (number, status, usage, vendor) VALUES "
        "('1020', 'Used', 'User', 'Microsoft'), ('1021', 'Reserved', NULL, NULL), "
        "('1022', 'Used-Utility', NULL, NULL)"
    )
    fleet = Fleet(conn, {"audiocodes_a": a, "audiocodes_b": b}, passwords, cooling_days=2)
    a.register_numbers([*range(1000, 1005), 1020])
    b.register_numbers([2000, 2001, 2002, 1004])
    fleet.day(d1)
    a.unregister("1000")
    fleet.day(d2)
    a.unregister("1001")
    b.unregister("2000")
    fleet.day(d3)
    b.fail_page(0, 503, times=None)
    a.unregister("1002")
    fleet.day(d4)
    assert set(fleet.failures) == {"audiocodes_b"}, fleet.failures
    return fleet


# --- a realistic inventory ----------------------------------------------------------------------

BERLIN, MUNICH, HAMBURG = "+4930555", "+4989777", "+4940333"
REALISTIC_CONNECTIONS = ["audiocodes_sbc_berlin", "audiocodes_sbc_munich", "audiocodes_arm_hamburg"]


def realistic(conn, today: dt.date, *, days: int = 21, seed: int = 6) -> dict[str, DeviceServer]:
    """Three sites' number blocks and three devices, reconciled daily for ``days`` days ending today
    with phones coming and going; on the last day the Hamburg SBC does not answer. Timestamps are
    moved to the simulated days, as if the DAGs had run then. Returns the (stopped) devices."""
    rng = random.Random(seed)
    blocks = {BERLIN: 4000, MUNICH: 2500, HAMBURG: 1500}
    conn.execute(
        "INSERT INTO number_inventory (number) "
        "SELECT b.prefix || lpad(g::text, 4, '0') FROM (VALUES (%s, %s), (%s, %s), (%s, %s)) AS b(prefix, size), "
        "generate_series(0, b.size - 1) AS g",
        [v for item in blocks.items() for v in item],
    )
    # Teams phones, lab lines and reserved numbers the devices do not own.
    conn.execute(
        "UPDATE number_inventory SET status = 'Used', usage = 'User', vendor = 'Microsoft' "
        "WHERE number LIKE %s AND right(number, 4)::int BETWEEN 3000 AND 3599",
        (BERLIN + "%",),
    )
    conn.execute(
        "UPDATE number_inventory SET status = 'Reserved' WHERE number LIKE %s AND right(number, 4)::int >= 2400",
        (MUNICH + "%",),
    )
    conn.execute(
        "UPDATE number_inventory SET status = 'Used-Utility' "
        "WHERE number LIKE %s AND right(number, 4)::int >= 1450",
        (HAMBURG + "%",),
    )
    passwords = {
        "audiocodes_sbc_berlin": "pw-ber",
        "audiocodes_sbc_munich": "pw-muc",
        "audiocodes_arm_hamburg": "pw-ham",
    }
    sites = {
        "audiocodes_sbc_berlin": BERLIN,
        "audiocodes_sbc_munich": MUNICH,
        "audiocodes_arm_hamburg": HAMBURG,
    }
    devices = {c: DeviceServer("admin", passwords[c], max_page_size=500).start() for c in passwords}
    try:
        phones = {
            c: {
                f"{sites[c]}{n:04d}"
                for n in rng.sample(range(0, {BERLIN: 2900, MUNICH: 2300, HAMBURG: 1400}[sites[c]]), k)
            }
            for c, k in (
                ("audiocodes_sbc_berlin", 1700),
                ("audiocodes_sbc_munich", 1100),
                ("audiocodes_arm_hamburg", 600),
            )
        }
        phones["audiocodes_sbc_berlin"] |= {
            f"{BERLIN}3007",
            f"{BERLIN}3012",
        }  # Teams numbers on the SBC: conflicts
        for c, numbers in phones.items():
            devices[c].register_numbers(sorted(numbers))
        fleet = Fleet(conn, devices, passwords, cooling_days=7)
        first = today - dt.timedelta(days=days - 1)
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            if offset:
                _churn(rng, devices, phones, sites, scale=3 if offset == days - 6 else 1)
            if offset == days - 1:
                devices["audiocodes_arm_hamburg"].fail_page(0, 503, times=None)
            fleet.day(day)
            _move_to(conn, day)
    finally:
        for device in devices.values():
            device.stop()
    return devices


def _churn(rng, devices, phones, sites, scale: int) -> None:
    """Some phones go offline, some come back, a few new ones register: every day in Berlin (more
    on the day of an office move), on some days elsewhere."""
    for c, numbers in phones.items():
        if sites[c] != BERLIN and (scale > 1 or rng.random() < 0.6):
            continue
        gone = rng.sample(sorted(numbers), k=min(len(numbers), scale * rng.randint(8, 30)))
        for number in gone:
            devices[c].unregister(number)
        numbers.difference_update(gone)
        back = rng.sample(gone, k=len(gone) // 3)
        new = {f"{sites[c]}{n:04d}" for n in rng.sample(range(0, 2900 if sites[c] == BERLIN else 1400), 12)}
        new -= numbers
        added = sorted(set(back[: len(back) // 2]) | new)
        devices[c].register_numbers(added)
        numbers.update(added)


def _move_to(conn, day: dt.date) -> None:
    """Give what the runs of ``day`` wrote that day's times (sync 01:00, daily 02:00 UTC)."""
    for hour in (1, 2):
        run_id = f"scheduled__{day}T0{hour}:00:00+00:00"
        at = dt.datetime.combine(day, dt.time(hour, 0), tzinfo=dt.UTC)
        for statement in (
            "UPDATE number_inventory_history SET changed_at = %(at)s + (id %% 600) * interval '50 ms' WHERE run_id = %(run)s",
            "UPDATE audiocodes_read SET started_at = %(at)s, finished_at = %(at)s + interval '40 s' WHERE run_id = %(run)s",
            "UPDATE inventory_run SET finished_at = %(at)s + interval '1 min' WHERE run_id = %(run)s",
            "UPDATE audit_finding SET found_at = %(at)s + interval '1 min' WHERE run_id = %(run)s",
            "UPDATE audiocodes_connection AS c SET read_at = r.finished_at FROM audiocodes_read AS r "
            "WHERE r.read_id = c.read_id AND r.run_id = %(run)s",
            "UPDATE number_inventory AS n SET updated_at = h.changed_at FROM number_inventory_history AS h "
            "WHERE h.number = n.number AND h.run_id = %(run)s",
        ):
            conn.execute(statement, {"at": at, "run": run_id})
