"""Property test of the transition engine: random sequences of days, the way the pipeline runs them.

Each simulated day reads every connection (a read may fail, and the connection then keeps its previous
read, exactly as the pipeline does), syncs with ``plan_sync``, then runs the daily ``plan_release`` and
``plan_audit``. Every change row goes into an in-memory history. After each step the SPEC's invariants
must hold, and at the end the history must replay to the final inventory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from number_inventory.transitions import (
    FIELDS,
    INVENTORY_COLUMNS,
    apply_to_frame,
    plan_audit,
    plan_release,
    plan_sync,
)

START = dt.date(2026, 11, 27)
CONNECTIONS = ("sbc1", "sbc2", "arm1")
POOL = [f"10{i:02d}" for i in range(24)] + [f"+4930555{i:03d}" for i in range(6)]

# Rows of other owners: registered or not, they must never change.
PROTECTED = {
    "1000": ("Used", "Teams", "Microsoft", "", ""),
    "1001": ("Used-Utility", "Fax", "", "lobby", ""),
    "1002": ("Reserved", "", "", "CEO", ""),
    "1003": ("Used", "Device", "", "", ""),  # Cisco: empty vendor
    "1010": ("Cooling", "Teams", "Microsoft", "30-day cooling", "2026-11-28"),
}
INITIAL = {
    **PROTECTED,
    "1004": ("Available", "", "", "", ""),
    "1011": ("Available", "", "", "ordered for Berlin", ""),  # an operator's Tag, kept when Used
    "1005": ("Used", "Device", "AudioCodes", "", ""),
    "1006": (
        "Cooling",
        "Device",
        "AudioCodes",
        "Cooling: 2 day(s) until release on 2026-10-18",
        "2026-10-18",
    ),
    "1007": ("Cooling", "Device", "AudioCodes", "lost its date", ""),
    "1008": ("Used", "Fax", "AudioCodes", "", ""),
    "1009": (
        "Cooling",
        "Device",
        "AudioCodes",
        "Cooling: 9 day(s) until release on 2026-11-30",
        "2026-11-30",
    ),
    "+4930555000": ("Used", "Device", "AudioCodes", "", ""),
}
OPERATOR_TAGS = {"1011": "ordered for Berlin"}
COOLING_REASONS = {"registration_gone", "cooling_without_release_date"}


def initial_inventory() -> pd.DataFrame:
    rows = [(number, *values) for number, values in INITIAL.items()]
    return pd.DataFrame(rows, columns=list(INVENTORY_COLUMNS)).astype("string")


def as_dict(inventory: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    assert inventory["number"].is_unique, "an inventory number appears twice"
    assert not inventory.isna().any().any(), "the inventory holds NA instead of ''"
    return {r[0]: tuple(r[1:]) for r in inventory[list(INVENTORY_COLUMNS)].itertuples(index=False, name=None)}


def tag_for(release: str, day: dt.date) -> str:
    return f"Cooling: {(dt.date.fromisoformat(release) - day).days} day(s) until release on {release}"


@dataclass
class Simulation:
    inventory: pd.DataFrame = field(default_factory=initial_inventory)
    state: dict[str, tuple[str, ...]] = field(default_factory=lambda: as_dict(initial_inventory()))
    history: list[dict] = field(default_factory=list)
    kept: dict[str, frozenset[str] | None] = field(default_factory=lambda: dict.fromkeys(CONNECTIONS))
    # number -> (cool day, duration, reason) of every AudioCodes number cooling now
    cooled: dict[str, tuple[dt.date, int, str]] = field(default_factory=dict)
    ever_registered: set[str] = field(default_factory=set)

    def apply(self, changes: pd.DataFrame, day: dt.date, duration: int) -> None:
        before = self.state
        assert changes["number"].is_unique, "one plan changes a number twice"
        for row in changes.to_dict("records"):
            number, after = row["number"], tuple(row[f] for f in FIELDS)
            previous = tuple(row[f"before_{f}"] for f in FIELDS)
            assert row["is_new"] is (number not in before)
            assert previous == before.get(number, ("",) * 5), "before-values do not match the inventory"
            assert after != previous, f"a change row that changes nothing: {row}"
            assert number not in PROTECTED, f"a protected row was written: {row}"
            if row["reason"] in COOLING_REASONS:
                assert after[0] == "Cooling"
                assert after[4] == (day + dt.timedelta(days=duration)).isoformat()
                assert after[3] == f"Cooling: {duration} day(s) until release on {after[4]}"
                self.cooled[number] = (day, duration, row["reason"])
            elif after[0] != "Cooling":
                self.cooled.pop(number, None)
            self.history.append({"number": number, "is_new": row["is_new"], "after": after})
        self.inventory = apply_to_frame(self.inventory, changes)
        now = self.state = as_dict(self.inventory)
        assert set(before) <= set(now), "a row disappeared"
        assert set(now) - set(before) == set(changes.loc[changes["is_new"], "number"])

    def check(self, registered: frozenset[str]) -> None:
        now = self.state
        for number, values in PROTECTED.items():
            assert now[number] == values, f"protected row {number} changed"
        for number in registered:
            if number in PROTECTED:
                continue
            operator_tag = OPERATOR_TAGS.get(number, "")
            assert now[number] in {
                ("Used", "Device", "AudioCodes", "", ""),
                ("Used", "Device", "AudioCodes", operator_tag, ""),
            }, (number, now[number])
        assert set(now) == set(INITIAL) | self.ever_registered, "a number was inserted without a registration"
        for number, (status, _usage, vendor, _tag, release) in now.items():
            if status != "Cooling" or vendor != "AudioCodes" or number not in self.cooled:
                continue
            cool_day, duration, _reason = self.cooled[number]
            assert release == (cool_day + dt.timedelta(days=duration)).isoformat()
            assert dt.date.fromisoformat(release) >= cool_day
            if duration > 0:
                assert dt.date.fromisoformat(release) > cool_day

    def check_after_daily(self, day: dt.date) -> None:
        """After release + audit, no AudioCodes cooling row is due, undated or mis-tagged. The one
        exception: a row the audit itself just dated with a cooling duration of 0 is due today."""
        for number, (status, _usage, vendor, tag, release) in self.state.items():
            if status == "Cooling" and vendor == "AudioCodes":
                assert release, f"{number} cools without a release date"
                assert tag == tag_for(release, day), (number, tag)
                assert number in self.cooled or number == "1009"
                if dt.date.fromisoformat(release) <= day:
                    assert self.cooled[number] == (day, 0, "cooling_without_release_date"), (
                        f"{number} is still cooling on its release day {release}"
                    )

    def replay(self) -> dict[str, tuple[str, ...]]:
        state = as_dict(initial_inventory())
        for change in self.history:
            assert change["is_new"] is (change["number"] not in state)
            state[change["number"]] = change["after"]
        return state

    def run_day(self, day: dt.date, duration: int, reads: tuple[frozenset[str] | None, ...]) -> None:
        for connection, read in zip(CONNECTIONS, reads, strict=True):
            if read is not None:  # None: the read failed, the connection keeps its previous read
                self.kept[connection] = read
        can_cool = all(read is not None for read in self.kept.values())
        registered = frozenset().union(*(r for r in self.kept.values() if r is not None))
        self.ever_registered |= registered

        plan = plan_sync(self.inventory, registered, day, duration, can_cool=can_cool)
        if not can_cool:
            assert not (plan.changes["reason"] == "registration_gone").any()
        cooled_now = set(plan.changes.loc[plan.changes["reason"] == "registration_gone", "number"])
        assert not cooled_now & registered, "a registered number was cooled"
        assert set(plan.conflicts["number"]) == registered & set(PROTECTED)
        self.apply(plan.changes, day, duration)
        self.check(registered)
        again = plan_sync(self.inventory, registered, day, duration, can_cool=can_cool)
        assert again.changes.empty, "the same sync twice changed something the second time"

        released = plan_release(self.inventory, day)
        self.apply(released, day, duration)
        self.check(registered)

        repairs, _findings = plan_audit(self.inventory, registered, day, duration, can_cool=can_cool)
        self.apply(repairs, day, duration)
        self.check(registered)
        self.check_after_daily(day)


READ = st.one_of(st.none(), st.frozensets(st.sampled_from(POOL), max_size=14))
DAY = st.tuples(
    st.integers(min_value=0, max_value=3),  # days since the previous run (0: a re-run the same day)
    st.integers(min_value=0, max_value=5),  # audiocodes_cooling_duration
    st.tuples(*(READ for _ in CONNECTIONS)),  # None: the read failed
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days=st.lists(DAY, min_size=1, max_size=4))
def test_random_days_keep_the_invariants(
    days: list[tuple[int, int, tuple[frozenset[str] | None, ...]]],
) -> None:
    sim = Simulation()
    day = START
    for gap, duration, reads in days:
        day += dt.timedelta(days=gap)
        sim.run_day(day, duration, reads)
    assert sim.replay() == as_dict(sim.inventory), "replaying the history does not give the inventory"
