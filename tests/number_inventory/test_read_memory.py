"""A read's memory stays bounded whatever the device sends (issue 12, item 7): pages of long AORs
that are not numbers are counted and sampled, never kept. Real HTTP against the bundled device
server, real PostgreSQL; the read's allocations are measured with ``tracemalloc``."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from functools import partial

import requests

from devtools.device_server import DeviceServer
from number_inventory import pipeline, store
from number_inventory.device_apis.contract import Contract
from number_inventory.device_client import read_registered_users
from number_inventory.settings import MassRemovalGuard
from number_inventory.store import RunInfo

RUN = RunInfo("test", "run", dt.date(2026, 11, 2))
PAGES, PAGE_SIZE, AOR_BYTES = 40, 200, 8 * 1024
MB = 1024 * 1024
#: The bound the docs (Device connections) state for this read: a page's body, its parsed items and one staged
#: batch (pipeline.STAGE_BATCH_CHARS of text), each held a few times over while being staged.
BOUND = 32 * MB


def test_pages_of_long_skipped_aors_keep_the_reads_memory_bounded(db):
    aors = [f"{i:05d}-" + "x" * (AOR_BYTES - 8) + "@h" for i in range(PAGES * PAGE_SIZE)]
    with DeviceServer("admin", "pw", max_page_size=PAGE_SIZE) as device:
        device.set_bindings([(aor, "<sip:x@h>;expires=180; Active status:1") for aor in aors])
        session = requests.Session()
        session.auth = ("admin", "pw")
        sent = PAGES * PAGE_SIZE * AOR_BYTES
        tracemalloc.start()
        try:
            summary = pipeline.read_connection(
                db,
                partial(read_registered_users, session, device.url, Contract(page_size=PAGE_SIZE)),
                "hostile",
                RUN,
                guard=MassRemovalGuard(),
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    print(f"{sent / MB:.0f} MB of skipped AORs in {PAGES} pages: the read's peak was {peak / MB:.1f} MB")
    assert summary["pages"] >= PAGES and summary["bindings"] == len(aors)
    assert summary["skipped_aors"] == len(aors) and summary["numbers"] == 0
    assert peak < BOUND, f"peak {peak / MB:.1f} MB for {sent / MB:.0f} MB of skipped AOR text"
    assert db.execute("SELECT skipped_aors FROM audiocodes_read").fetchone()[0] == len(aors)
    assert store.SKIPPED_SAMPLES == 5
