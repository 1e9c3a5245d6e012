"""The devices of the benchmark: bundled device servers in processes of their own, and their data.

Each connection is one ``python -m devtools.device_server`` process (so that serving
pages does not share an interpreter with the readers, as a real SBC would not), loaded over its
``/_control`` API. The registrations are made up the way a service provider's SBCs hold them: mostly
``<number>@host`` with one active contact, some numbers spelled as SIP URIs with separators and
``;user=phone``, some with a second contact that is not confirmed (``status:0``), and a few AORs that
are not numbers at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

import devtools
from devtools.device_server import DEFAULT_HOST, contact_for

ROOT = Path(__file__).resolve().parents[1]
USERNAME = "bench"
PASSWORD = "bench-device-pass"  # a throwaway password for loopback-only test devices
#: Largest page a device serves: the SPEC's default ``page_size`` (1000).
MAX_PAGE_SIZE = 1000


def number(i: int) -> str:
    """The ``i``-th inventory number of the benchmark (E.164, like a provider's DDI ranges)."""
    return f"+4930{10_000_000 + i}"


def sip_spelling(num: str) -> str:
    """``+493010000042`` as a SIP URI AOR with separators: ``sip:+49-30-1000-0042;user=phone@host``."""
    return f"sip:{num[:3]}-{num[3:5]}-{num[5:9]}-{num[9:]};user=phone@{DEFAULT_HOST}"


def bindings_of(indexes: list[int]) -> list[tuple[str, str]]:
    """The (AOR, contact) bindings registering the numbers ``number(i)`` for ``i`` in ``indexes``.

    Every 100th number is spelled as a SIP URI, every 50th has a second, unconfirmed contact, and
    one AOR in a thousand that is not a number is added (``user-<i>``), as on a real SBC.
    """
    out = []
    for i in indexes:
        num = number(i)
        plain = f"{num}@{DEFAULT_HOST}"
        aor = sip_spelling(num) if i % 100 == 7 else plain
        out.append((aor, contact_for(plain, 0)))
        if i % 50 == 3:
            out.append((aor, contact_for(plain, 1, status=0)))
        if i % 1000 == 11:
            name = f"user-{i}@{DEFAULT_HOST}"
            out.append((name, contact_for(name, 0)))
    return out


@dataclass
class Device:
    """One running device server process."""

    connection_id: str
    process: subprocess.Popen
    url: str

    def load(self, bindings: list[tuple[str, str]]) -> None:
        """Replace the device's bindings."""
        response = requests.put(
            f"{self.url}/_control/bindings",
            json={"bindings": bindings},
            auth=(USERNAME, PASSWORD),
            timeout=300,
        )
        response.raise_for_status()


class Fleet:
    """``count`` device servers, one per connection ``bench_device_<k>``; numbers are spread over them
    by index (``i % count``). Use as a context manager."""

    def __init__(self, count: int) -> None:
        self.devices: list[Device] = []
        env = {**os.environ, "DEVICE_PASSWORD": PASSWORD, "PYTHONPATH": devtools.PYTHONPATH}
        for k in range(count):
            cmd = [
                sys.executable,
                "-m",
                "devtools.device_server",
                "--port",
                "0",
                "--username",
                USERNAME,
                "--max-page-size",
                str(MAX_PAGE_SIZE),
            ]
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            line = proc.stdout.readline().strip()  # "device server listening on http://127.0.0.1:PORT"
            if not line.startswith("device server listening on "):
                proc.kill()
                raise RuntimeError(f"device server did not start: {line!r}")
            port = line.rsplit(":", 1)[1]
            self.devices.append(Device(f"bench_device_{k}", proc, f"http://127.0.0.1:{port}"))

    @property
    def connection_ids(self) -> list[str]:
        return [d.connection_id for d in self.devices]

    def register(self, indexes: list[int]) -> int:
        """Make the devices register exactly the numbers of ``indexes``; returns the bindings served."""
        count = len(self.devices)
        shares = [bindings_of([i for i in indexes if i % count == k]) for k in range(count)]
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(Device.load, self.devices, shares))
        return sum(map(len, shares))

    def close(self) -> None:
        for device in self.devices:
            device.process.terminate()
        for device in self.devices:
            try:
                device.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                device.process.kill()
            device.process.stdout.close()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def device_connections(fleet: Fleet) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` variables of the fleet's devices, for code that reads them through Airflow."""
    env = {}
    for device in fleet.devices:
        host, port = device.url.removeprefix("http://").split(":")
        env[f"AIRFLOW_CONN_{device.connection_id.upper()}"] = json.dumps(
            {
                "conn_type": "http",
                "host": host,
                "port": int(port),
                "schema": "http",
                "login": USERNAME,
                "password": PASSWORD,
            }
        )
    return env
