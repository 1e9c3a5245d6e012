"""Benchmark of a Mediant SBC's read through its CLI script against the json read of the same bindings.

For each size N: one bundled device server in a process of its own holds N bindings (made up as in
:mod:`bench.devices`) and serves them both ways: as one CLI answer (``show voip register db sbc
list`` in the 7.2 style, built once and served as is) and as the SPEC's JSON list in pages of 1000.
Each read runs in a fresh process through ``device_client.read_registered_users`` (transport,
parse, delivery to ``on_page``), so its wall time and its peak RSS are those of a read alone::

    python -m bench.cli_parse --sizes 100000 1000000

Targets (issue 11): the CLI read within 1.5x of the json read's time at 1M bindings, and a stated
memory bound that holds: the CLI read's peak RSS above the fresh process's is at most
:data:`MEMORY_FACTOR` times the answer's size plus :data:`MEMORY_ALLOWANCE_MB` (the answer's bytes
are released as soon as they are decoded and the JSON text as soon as it is parsed, so two copies
of the answer live at once at most; the allowance is one batch of 20,000 bindings and the buffers). Results go to ``bench/results/<date>-cli.json``
and ``<date>-cli.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import requests

import devtools

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
USERNAME = "bench"
PASSWORD = "bench-cli-pass"  # a throwaway password for a loopback-only test device
PAGE_SIZE = 1000
#: The memory bound: peak RSS growth of a CLI read over a fresh process, per byte of the answer,
#: plus a fixed allowance.
MEMORY_FACTOR = 2.0
MEMORY_ALLOWANCE_MB = 32
#: The time target: CLI read seconds over json read seconds at 1M bindings.
TIME_RATIO = 1.5


def _rss_mb() -> float:
    """This process's peak RSS. ``VmHWM`` is the process image's own (``ru_maxrss`` can carry the
    parent's high-water mark over an exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def client(api: str, url: str) -> dict[str, float]:
    """Read the device once with ``api`` in this process: seconds, bindings and RSS before and after."""
    from number_inventory.device_apis.contract import Contract
    from number_inventory.device_client import read_registered_users

    paged = {"page_size": PAGE_SIZE} if api != "mediant-cli" else {}
    contract = Contract.for_api(api, **paged)
    session = requests.Session()
    session.auth = (USERNAME, PASSWORD)
    received = [0]
    base = _rss_mb()
    started = time.perf_counter()
    result = read_registered_users(
        session,
        url,
        contract,
        on_page=lambda items: received.__setitem__(0, received[0] + len(items)),
        on_restart=lambda: received.__setitem__(0, 0),
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "bindings": received[0],
        "total": result.total,
        "pages": result.pages,
        "base_rss_mb": round(base, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


class Device:
    """A device server process holding ``bindings``, serving them as a JSON list and as one CLI answer."""

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        from devtools.device_server import render_cli_listing

        env = {**os.environ, "PYTHONPATH": devtools.PYTHONPATH, "DEVICE_PASSWORD": PASSWORD}
        command = [sys.executable, "-m", "devtools.device_server", "--port", "0"]
        command += ["--username", USERNAME, "--max-page-size", str(PAGE_SIZE)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()  # "device server listening on http://HOST:PORT"
        if not line.startswith("device server listening on "):
            self.process.kill()
            raise RuntimeError(f"device server did not start: {line!r}")
        self.url = "http://127.0.0.1:" + line.rsplit(":", 1)[1]
        with requests.Session() as s:
            s.auth = (USERNAME, PASSWORD)
            s.put(
                f"{self.url}/_control/bindings", json={"bindings": bindings}, timeout=600
            ).raise_for_status()
            text = render_cli_listing(bindings, style="7.2", total_line=True)
            self.answer_bytes = len(json.dumps({"output": text}))
            faults = {"replace_output": {"text": text}}
            s.post(f"{self.url}/_control/faults", json=faults, timeout=600).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _read_in_process(api: str, url: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": devtools.PYTHONPATH}
    command = [sys.executable, "-m", "bench.cli_parse", "--client", api, "--url", url]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"the {api} read failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(sizes: Sequence[int], repeat: int, out: Path) -> dict:
    """Measure each size; write and return the results."""
    from bench.devices import bindings_of

    results: dict = {
        "date": dt.date.today().isoformat(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "page_size": PAGE_SIZE,
        "memory_factor": MEMORY_FACTOR,
        "memory_allowance_mb": MEMORY_ALLOWANCE_MB,
        "time_ratio": TIME_RATIO,
        "sizes": {},
    }
    for size in sizes:
        bindings = bindings_of(list(range(size)))[:size]
        device = Device(bindings)
        del bindings
        try:
            case: dict = {"answer_bytes": device.answer_bytes}
            for api in ("json", "mediant-cli"):
                runs = [_read_in_process(api, device.url) for _ in range(repeat)]
                best = min(runs, key=lambda r: r["seconds"])
                if best["bindings"] != size or best["total"] != size:
                    raise RuntimeError(f"the {api} read of {size} bindings received {best['bindings']}")
                case[api] = best
        finally:
            device.stop()
        cli = case["mediant-cli"]
        case["ratio"] = round(cli["seconds"] / case["json"]["seconds"], 2)
        growth = (cli["peak_rss_mb"] - cli["base_rss_mb"]) * 1024 * 1024
        case["cli_rss_per_answer_byte"] = round(growth / case["answer_bytes"], 2)
        bound = MEMORY_FACTOR * case["answer_bytes"] + MEMORY_ALLOWANCE_MB * 1024 * 1024
        case["cli_rss_growth_mb"] = round(growth / 2**20, 1)
        case["memory_bound_mb"] = round(bound / 2**20, 1)
        case["memory_bound_holds"] = growth <= bound
        results["sizes"][str(size)] = case
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{results['date']}-cli"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{stem}.md").write_text(table(results))
    return results


def table(results: dict) -> str:
    """The results as a markdown table, with the targets."""
    lines = [
        f"CLI read benchmark, {results['date']} ({results['cores']} cores, Python {results['python']}); "
        f"json in pages of {results['page_size']}; each read in a fresh process.",
        "",
        "| bindings | CLI answer MB | json s | CLI s | CLI/json | json peak RSS MB | CLI peak RSS MB "
        "| CLI RSS growth / answer size |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, case in results["sizes"].items():
        js, cli = case["json"], case["mediant-cli"]
        lines.append(
            f"| {int(size):,} | {case['answer_bytes'] / 2**20:.1f} | {js['seconds']:.2f} | {cli['seconds']:.2f} "
            f"| {case['ratio']:.2f}x | {js['peak_rss_mb']:.0f} | {cli['peak_rss_mb']:.0f} "
            f"| {case['cli_rss_per_answer_byte']:.2f} |"
        )
    lines += ["", "| target | measured | met |", "|---|---:|:---:|"]
    for size, case in results["sizes"].items():
        if int(size) >= 1_000_000:
            met = "yes" if case["ratio"] <= results["time_ratio"] else "no"
            lines.append(
                f"| {int(size):,}: CLI read ≤ {results['time_ratio']}x json | {case['ratio']:.2f}x | {met} |"
            )
        met = "yes" if case["memory_bound_holds"] else "no"
        lines.append(
            f"| {int(size):,}: CLI RSS growth ≤ {results['memory_factor']} × answer + "
            f"{results['memory_allowance_mb']} MB = {case['memory_bound_mb']:.0f} MB "
            f"| {case['cli_rss_growth_mb']:.0f} MB | {met} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_parse", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1, help="reads per case; the fastest counts")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--client", choices=("json", "mediant-cli"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        print(json.dumps(client(args.client, args.url)))
        return 0
    results = run(args.sizes, args.repeat, args.out)
    print(table(results), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
