"""What the browser tests share: ``airflow api-server`` on a free local port, and Debian's Chromium driven
by Playwright.

A browser test module defines the fixture ``api_server_env`` (the settings its server runs with, over
the test session's environment: the auth manager's users, connections, Variables, an Airflow home of
its own) and uses the fixtures ``api_server`` (the server's URL) and ``chromium`` (the browser), which
``tests/conftest.py`` makes available everywhere.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000

#: The marks of a browser test module (``pytestmark = NEEDS_CHROMIUM``).
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium; make test does)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def simple_auth_env(home: Path, users: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Airflow's simple auth manager with ``users`` (name -> (password, role)) and no one an admin
    by default; a JWT secret of its own."""
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({name: password for name, (password, _) in users.items()}))
    return {
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{n}:{role}" for n, (_, role) in users.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
    }


def start_airflow(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``airflow <command>`` in a session of its own (so that :func:`stop` ends its workers too)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "airflow", *command],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)  # the process and the workers it started
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def wait_for_health(url: str, server: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"airflow api-server exited with {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"airflow api-server did not answer within {seconds} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def api_server(api_server_env: dict[str, str], tmp_path_factory) -> Iterator[str]:
    """``airflow api-server`` (one worker) on a free local port, with the module's ``api_server_env``
    over the session's environment and the plugin from ``plugins/``; its URL. Stopped, workers and
    all, after the module."""
    port = free_port()
    log = tmp_path_factory.mktemp("api-server") / "api-server.log"
    server = start_airflow(
        ["api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        {**os.environ, **api_server_env},
        log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, server, log, seconds=180)
        yield url
    finally:
        stop(server)


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium, through Playwright (which downloads no browser of its own)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
