"""Tests of the bundled AudioCodes-like device server, over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import devtools
from devtools.device_server import DeviceServer, parse_numbers

REPO_ROOT = Path(__file__).resolve().parents[2]
PATH = "/api/v1/registeredUsers"
AUTH = ("admin", "secret")


@pytest.fixture
def server() -> Iterator[DeviceServer]:
    with DeviceServer(*AUTH, max_page_size=50) as srv:
        yield srv


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = AUTH
        yield s


def get_page(
    session: requests.Session, server: DeviceServer, offset: int, limit: int = 1000
) -> requests.Response:
    return session.get(f"{server.url}{PATH}", params={"offset": offset, "limit": limit}, timeout=10)


def read_all(
    session: requests.Session, server: DeviceServer, limit: int = 1000, retries: int = 0
) -> tuple[list[dict[str, str]], list[int], list[int]]:
    """Page the way the pipeline's client does: items, the total of each page and every HTTP status seen."""
    items: list[dict[str, str]] = []
    totals: list[int] = []
    statuses: list[int] = []
    offset = 0
    while True:
        for attempt in range(retries + 1):
            resp = get_page(session, server, offset, limit)
            statuses.append(resp.status_code)
            if resp.status_code == 200:
                break
            if attempt == retries:
                resp.raise_for_status()
        body = resp.json()
        page = body["registeredUsers"]
        totals.append(body["total"])
        items.extend(page)
        offset += len(page)
        if not page or offset >= body["total"]:
            return items, totals, statuses


def as_pairs(items: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(i["addressOfRecord"], i["contact"]) for i in items]


# ---------------------------------------------------------------------- paging and contents


def test_capped_pages_read_every_binding_exactly_once(
    server: DeviceServer, session: requests.Session
) -> None:
    server.register_numbers(range(1000, 1000 + 2345))
    resp = get_page(session, server, 0, 1000)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    assert len(resp.json()["registeredUsers"]) == 50  # capped at max_page_size
    assert resp.json()["total"] == 2345

    items, totals, _ = read_all(session, server, limit=1000)
    assert set(totals) == {2345}
    assert as_pairs(items) == server.bindings
    assert len(items) == 2345
    assert len(set(as_pairs(items))) == 2345
    assert items[0] == {
        "addressOfRecord": "1000@10.8.5.71",
        "contact": "<sip:1000@10.8.5.71:5060>;expires=180; Active status:1",
    }
    assert server.requests_served == 1 + 47  # 2345 / 50 rounded up


def test_limit_smaller_than_the_cap_and_default_limit(
    server: DeviceServer, session: requests.Session
) -> None:
    server.register_numbers(range(200))
    items, _, statuses = read_all(session, server, limit=7)
    assert len(items) == 200 and len(statuses) == 29  # 200 / 7 rounded up
    with DeviceServer(*AUTH, max_page_size=500) as big:
        big.register_numbers(range(300))
        body = session.get(f"{big.url}{PATH}", timeout=10).json()
        assert len(body["registeredUsers"]) == 100 and body["total"] == 300
        body = session.get(f"{big.url}{PATH}", params={"offset": 290}, timeout=10).json()
        assert body["registeredUsers"][0]["addressOfRecord"] == "290@10.8.5.71"
        assert len(body["registeredUsers"]) == 10
        body = session.get(f"{big.url}{PATH}", params={"offset": 300}, timeout=10).json()
        assert body == {"registeredUsers": [], "total": 300}


def test_several_contacts_per_aor_and_unconfirmed_contacts(
    server: DeviceServer, session: requests.Session
) -> None:
    server.register("1000", contacts=3)
    server.register("2000@10.8.5.72", status=0)
    server.register("alice@example.com")
    server.register("1000")  # a fourth contact, numbered after the first three
    items, totals, _ = read_all(session, server)
    assert totals == [6]
    pairs = as_pairs(items)
    assert [c for a, c in pairs if a == "1000@10.8.5.71"] == [
        f"<sip:1000@10.8.5.71:{port}>;expires=180; Active status:1" for port in (5060, 5061, 5062, 5063)
    ]
    assert ("2000@10.8.5.72", "<sip:2000@10.8.5.71:5060>;expires=180; Active status:0") in pairs
    assert Counter(a for a, _ in pairs) == {"1000@10.8.5.71": 4, "2000@10.8.5.72": 1, "alice@example.com": 1}

    server.unregister("1000")
    server.unregister("nobody")
    assert [a for a, _ in server.bindings] == ["2000@10.8.5.72", "alice@example.com"]
    server.clear()
    assert read_all(session, server)[0] == []


def test_set_bindings_keeps_order_and_bindings_is_a_copy(
    server: DeviceServer, session: requests.Session
) -> None:
    pairs = [("b@h", "<sip:b@h>;status:1"), ("a@h", "<sip:a@h>;status:0"), ("b@h", "<sip:b@h2>")]
    server.set_bindings(pairs)
    copy = server.bindings
    copy.clear()
    assert server.bindings == pairs
    assert as_pairs(read_all(session, server)[0]) == pairs
    server.register_numbers(["+14155550100", 7], status=0)
    assert server.bindings[-2:] == [
        ("+14155550100@10.8.5.71", "<sip:+14155550100@10.8.5.71:5060>;expires=180; Active status:0"),
        ("7@10.8.5.71", "<sip:7@10.8.5.71:5060>;expires=180; Active status:0"),
    ]
    with pytest.raises(ValueError):
        server.set_bindings([("only-aor",)])  # type: ignore[list-item]


def test_concurrent_registration_is_thread_safe(server: DeviceServer) -> None:
    def worker(base: int) -> None:
        for n in range(base, base + 500):
            server.register(str(n))

    threads = [threading.Thread(target=worker, args=(b,)) for b in range(0, 4000, 500)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.bindings) == 4000
    assert len({a for a, _ in server.bindings}) == 4000


def test_keep_alive_reuses_one_connection(server: DeviceServer) -> None:
    server.register_numbers(range(120))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    headers = {"Authorization": "Basic YWRtaW46c2VjcmV0"}  # admin:secret
    sockets = []
    try:
        for offset in (0, 50, 100):
            conn.request("GET", f"{PATH}?offset={offset}&limit=50", headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200 and resp.version == 11
            assert int(resp.headers["Content-Length"]) == len(body)
            assert json.loads(body)["total"] == 120
            sockets.append(conn.sock)
    finally:
        conn.close()
    assert sockets[0] is not None and sockets[0] is sockets[1] is sockets[2]


def test_a_page_of_a_million_bindings_is_served_in_milliseconds() -> None:
    with DeviceServer(*AUTH, max_page_size=1000) as big, requests.Session() as s:
        big.set_bindings((f"{n}@10.8.5.71", f"<sip:{n}@10.8.5.71:5060>;status:1") for n in range(1_000_000))
        s.auth = AUTH
        timings = []
        for offset in (0, 500_000, 999_000, 250_000, 750_000):
            start = time.perf_counter()
            resp = s.get(f"{big.url}{PATH}", params={"offset": offset, "limit": 1000}, timeout=10)
            timings.append(time.perf_counter() - start)
            body = resp.json()
            assert len(body["registeredUsers"]) == 1000 and body["total"] == 1_000_000
            assert body["registeredUsers"][0]["addressOfRecord"] == f"{offset}@10.8.5.71"
        assert sorted(timings)[2] < 0.05, timings  # the median; the real figure is a few ms


# ---------------------------------------------------------------------- errors


def test_wrong_or_missing_credentials_get_401_without_the_password() -> None:
    with DeviceServer("admin", "Sup3r-S3cret-Pw") as srv:
        for auth in [("admin", "wrong-guess"), ("root", "Sup3r-S3cret-Pw"), None]:
            resp = requests.get(f"{srv.url}{PATH}", auth=auth, timeout=10)
            assert resp.status_code == 401
            assert resp.headers["WWW-Authenticate"] == 'Basic realm="AudioCodes"'
            assert resp.json() == {"error": "unauthorized"}
            assert "Sup3r-S3cret-Pw" not in resp.text and "wrong-guess" not in resp.text
        for header in (
            "Bearer abc",
            "Basic !!!not-base64",
            "Basic YWRtaW4=",
        ):  # last is "admin" with no colon
            resp = requests.get(f"{srv.url}{PATH}", headers={"Authorization": header}, timeout=10)
            assert resp.status_code == 401
        assert requests.get(f"{srv.url}{PATH}", auth=("admin", "Sup3r-S3cret-Pw"), timeout=10).ok
        assert srv.requests_served == 7


@pytest.mark.parametrize(
    "params",
    [
        {"offset": "abc"},
        {"offset": "-1"},
        {"offset": "1.5"},
        {"offset": ""},
        {"limit": "-5"},
        {"limit": "x"},
        {"limit": "0"},
        {"offset": "0", "limit": "１０"},  # non-ASCII digits
    ],
)
def test_bad_paging_parameters_get_400(server: DeviceServer, session: requests.Session, params: dict) -> None:
    resp = session.get(f"{server.url}{PATH}", params=params, timeout=10)
    assert resp.status_code == 400
    assert "error" in resp.json()


def test_unknown_path_and_wrong_method(server: DeviceServer, session: requests.Session) -> None:
    resp = session.get(f"{server.url}/api/v1/nothing", timeout=10)
    assert resp.status_code == 404 and resp.json() == {"error": "not found"}
    resp = session.post(f"{server.url}{PATH}", json={}, timeout=10)
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET"
    # The connection still works after error answers with and without bodies.
    assert get_page(session, server, 0).status_code == 200


def test_custom_path_and_trailing_slash(session: requests.Session) -> None:
    with DeviceServer(*AUTH, path="/api/v2/users") as srv:
        srv.register("1")
        assert session.get(f"{srv.url}/api/v2/users/", timeout=10).json()["total"] == 1
        assert session.get(f"{srv.url}{PATH}", timeout=10).status_code == 404


def test_url_before_start_and_restart() -> None:
    srv = DeviceServer()
    with pytest.raises(RuntimeError):
        _ = srv.url
    srv.start()
    port = srv.port
    try:
        assert srv.url == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError):
            srv.start()
    finally:
        srv.stop()
    srv.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}{PATH}", timeout=2)
    with pytest.raises(RuntimeError):
        _ = srv.port


def test_stop_closes_idle_keep_alive_connections(session: requests.Session) -> None:
    srv = DeviceServer(*AUTH).start()
    url = srv.url
    assert session.get(f"{url}{PATH}", timeout=10).ok
    srv.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}{PATH}", timeout=2)


# ---------------------------------------------------------------------- faults


def test_fail_page_once_then_ok(server: DeviceServer, session: requests.Session) -> None:
    server.register_numbers(range(120))
    server.fail_page(1, 503)
    items, _, statuses = read_all(session, server, retries=2)
    assert statuses == [200, 503, 200, 200]
    assert len(items) == 120
    # Used up: a second read sees no fault.
    assert read_all(session, server)[2] == [200, 200, 200]


def test_page_index_counts_the_offsets_of_the_current_read(
    server: DeviceServer, session: requests.Session
) -> None:
    server.register_numbers(range(120))
    read_all(session, server, limit=50)  # offsets 0, 50, 100
    server.fail_page(1, 500)
    # A new read with smaller pages: its second offset (30) is page 1, not offset 50 of the old read.
    assert get_page(session, server, 0, 30).status_code == 200
    assert get_page(session, server, 30, 30).status_code == 500
    assert get_page(session, server, 30, 30).status_code == 200  # a retry is the same page, fault used up
    server.fail_page(2, 500)
    assert get_page(session, server, 60, 30).status_code == 500


def test_fail_page_body_and_times(server: DeviceServer, session: requests.Session) -> None:
    server.register_numbers(range(10))
    server.fail_page(0, 500, times=2)
    first = get_page(session, server, 0)
    assert first.status_code == 500 and "error" in first.json()
    assert get_page(session, server, 0).status_code == 500
    assert get_page(session, server, 0).status_code == 200


def test_fail_page_always(server: DeviceServer, session: requests.Session) -> None:
    server.register_numbers(range(120))
    server.fail_page(2, 502, times=None)
    with pytest.raises(requests.HTTPError):
        read_all(session, server, retries=3)
    # A fresh read fails again at the same page, and pages before it still work.
    assert get_page(session, server, 0).status_code == 200
    assert get_page(session, server, 50).status_code == 200
    assert get_page(session, server, 100).status_code == 502
    assert get_page(session, server, 100).status_code == 502
    server.clear_faults()
    assert get_page(session, server, 100).status_code == 200
    assert server.requests_served == 6 + 4 + 1


def test_not_json_page(server: DeviceServer, session: requests.Session) -> None:
    server.register_numbers(range(10))
    server.not_json_page(0)
    for _ in range(2):  # times=None: always
        resp = get_page(session, server, 0)
        assert resp.status_code == 200
        assert resp.text == "<html>oops</html>"
        assert resp.headers["Content-Type"].startswith("text/html")
        with pytest.raises(requests.JSONDecodeError):
            resp.json()
    server.clear_faults()
    assert get_page(session, server, 0).json()["total"] == 10


def test_drop_items_leaves_out_the_middle_with_the_same_total(
    server: DeviceServer, session: requests.Session
) -> None:
    server.register_numbers(range(150))
    server.drop_items(1, count=3)
    items, totals, _ = read_all(session, server)
    assert set(totals) == {150}
    aors = [i["addressOfRecord"] for i in items]
    # Paging by the items received, the client re-reads the three after the short page and never sees
    # the three left out of it.
    assert len(set(aors)) == 147 and len(aors) == 150
    assert {"73@10.8.5.71", "74@10.8.5.71", "75@10.8.5.71"}.isdisjoint(aors)
    page1 = get_page(session, server, 50).json()["registeredUsers"]  # page 1 of the same read
    assert len(page1) == 47
    users = [int(i["addressOfRecord"].split("@")[0]) for i in page1]
    assert users[0] == 50 and users[-1] == 99  # first and last kept
    assert sorted(set(range(50, 100)) - set(users)) == [73, 74, 75]


def test_drop_items_times_and_count_larger_than_the_page(
    server: DeviceServer, session: requests.Session
) -> None:
    server.register_numbers(range(5))
    server.drop_items(0, count=99, times=1)
    assert get_page(session, server, 0).json() == {"registeredUsers": [], "total": 5}
    assert len(get_page(session, server, 0).json()["registeredUsers"]) == 5


def test_slow_page(server: DeviceServer, session: requests.Session) -> None:
    server.register_numbers(range(100))
    server.slow_page(1, 0.3, times=1)
    start = time.perf_counter()
    get_page(session, server, 0)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    resp = get_page(session, server, 50)
    slow = time.perf_counter() - start
    assert resp.status_code == 200 and len(resp.json()["registeredUsers"]) == 50
    assert slow >= 0.3 and fast < 0.2
    server.slow_page(0, 0.5)
    with pytest.raises(requests.Timeout):
        session.get(f"{server.url}{PATH}", params={"offset": 0}, timeout=0.1)


def test_slow_page_does_not_block_other_clients(server: DeviceServer, session: requests.Session) -> None:
    server.register_numbers(range(100))
    server.slow_page(0, 0.5, times=1)
    slow = threading.Thread(target=requests.get, args=(f"{server.url}{PATH}",), kwargs={"auth": AUTH})
    slow.start()
    time.sleep(0.05)
    start = time.perf_counter()
    other = requests.get(f"{server.url}/_control/state", auth=AUTH, timeout=5)
    assert other.ok and time.perf_counter() - start < 0.3
    slow.join()


def test_change_total_during_read(server: DeviceServer, session: requests.Session) -> None:
    server.register_numbers(range(1000, 1120))
    server.change_total_during_read(1, add=5)
    items, totals, _ = read_all(session, server)
    assert totals == [120, 125, 125]
    assert len(items) == 125
    new = as_pairs(items)[120:]
    assert [a for a, _ in new] == [f"{n}@10.8.5.71" for n in range(1120, 1125)]
    assert all(c.endswith("status:1") for _, c in new)
    # times=1: the next read sees the grown list but it does not grow again.
    assert read_all(session, server)[1] == [125, 125, 125]


def test_fault_validation(server: DeviceServer) -> None:
    with pytest.raises(ValueError):
        server.fail_page(-1)
    with pytest.raises(ValueError):
        server.fail_page(0, 200)
    with pytest.raises(ValueError):
        server.drop_items(0, 0)
    with pytest.raises(ValueError):
        server.slow_page(0, -1)
    with pytest.raises(ValueError):
        server.change_total_during_read(0, times=0)


# ---------------------------------------------------------------------- control API


def control(
    srv: DeviceServer, method: str, name: str, body: Any = None, auth: Any = AUTH
) -> requests.Response:
    return requests.request(method, f"{srv.url}/_control/{name}", json=body, auth=auth, timeout=10)


def test_control_api_over_http(server: DeviceServer, session: requests.Session) -> None:
    pairs = [["x@h", "<sip:x@h>;status:1"], ["y@h", "<sip:y@h>;status:0"]]
    resp = control(server, "PUT", "bindings", {"bindings": pairs})
    assert resp.status_code == 200 and resp.json() == {"bindings": 2, "requests_served": 0}
    assert server.bindings == [tuple(p) for p in pairs]

    assert control(server, "PUT", "bindings", {"numbers": ["1000", 1001], "status": 0}).ok
    assert server.bindings == [
        ("1000@10.8.5.71", "<sip:1000@10.8.5.71:5060>;expires=180; Active status:0"),
        ("1001@10.8.5.71", "<sip:1001@10.8.5.71:5060>;expires=180; Active status:0"),
    ]
    assert control(server, "POST", "register", {"aor": "2000", "contacts": 2}).json()["bindings"] == 4
    assert control(server, "POST", "unregister", {"aor": "1000"}).json()["bindings"] == 3
    assert [a for a, _ in server.bindings] == ["1001@10.8.5.71", "2000@10.8.5.71", "2000@10.8.5.71"]

    faults = {"fail_page": {"k": 0, "status": 503, "times": 1}, "slow_page": {"k": 0, "seconds": 0.01}}
    assert control(server, "POST", "faults", faults).ok
    assert get_page(session, server, 0).status_code == 503
    assert control(server, "POST", "faults", {"not_json_page": {"k": 0, "times": None}}).ok
    assert get_page(session, server, 0).text == "<html>oops</html>"
    assert control(server, "DELETE", "faults").ok
    assert get_page(session, server, 0).json()["total"] == 3
    assert control(server, "POST", "faults", {"drop_items": {"k": 0, "count": 1}}).ok
    assert len(get_page(session, server, 0).json()["registeredUsers"]) == 2
    assert control(server, "POST", "faults", {"change_total_during_read": {"k": 0, "add": 2}}).ok
    control(server, "DELETE", "faults")
    assert control(server, "GET", "state").json() == {"bindings": 3, "requests_served": 4}
    assert control(server, "DELETE", "bindings").json()["bindings"] == 0


@pytest.mark.parametrize(
    ("method", "name", "body", "status"),
    [
        ("PUT", "bindings", {"nothing": 1}, 400),
        ("PUT", "bindings", {"bindings": [["only-aor"]]}, 400),
        ("PUT", "bindings", {"numbers": "1000"}, 400),
        ("PUT", "bindings", [1, 2], 400),
        ("POST", "register", {"contacts": 1}, 400),
        ("POST", "faults", {"explode": {"k": 0}}, 400),
        ("POST", "faults", {"fail_page": {"k": 0, "bogus": 1}}, 400),
        ("POST", "faults", {"fail_page": {"k": -1}}, 400),
        ("GET", "bindings", None, 405),
        ("POST", "state", {}, 405),
        ("GET", "nothing", None, 404),
    ],
)
def test_control_api_rejects_bad_requests(
    server: DeviceServer, method: str, name: str, body: Any, status: int
) -> None:
    server.register("1")
    resp = control(server, method, name, body)
    assert resp.status_code == status
    assert "error" in resp.json()
    assert len(server.bindings) == 1


def test_control_api_needs_auth_and_json(server: DeviceServer) -> None:
    resp = control(server, "PUT", "bindings", {"numbers": ["1"]}, auth=("admin", "nope"))
    assert resp.status_code == 401 and server.bindings == []
    resp = requests.put(f"{server.url}/_control/bindings", data=b"{not json", auth=AUTH, timeout=10)
    assert resp.status_code == 400


# ---------------------------------------------------------------------- command line


def test_parse_numbers() -> None:
    assert parse_numbers("1000-1003") == ["1000", "1001", "1002", "1003"]
    assert parse_numbers("5, 7,0098-0101") == ["5", "7", "0098", "0099", "0100", "0101"]
    assert parse_numbers("+4930100-+4930101") == ["+4930100", "+4930101"]
    for bad in ("abc", "10-5", "1-x"):
        with pytest.raises(ValueError):
            parse_numbers(bad)


def test_cli_serves_until_terminated(tmp_path: Path) -> None:
    bindings_file = tmp_path / "bindings.json"
    bindings_file.write_text(json.dumps({"bindings": [["alice@h", "<sip:alice@h>;status:0"]]}))
    env = {**os.environ, "DEVICE_PASSWORD": "env-Pw-123", "PYTHONPATH": devtools.PYTHONPATH}
    cmd = [
        sys.executable,
        "-m",
        "devtools.device_server",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--max-page-size",
        "4",
        "--numbers",
        "1000-1009,2000",
        "--bindings-file",
        str(bindings_file),
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("device server listening on http://127.0.0.1:"), (line, proc.poll())
        url = line.rsplit(" ", 1)[1]
        with requests.Session() as s:
            s.auth = ("admin", "env-Pw-123")
            offset, aors = 0, []
            while True:
                body = s.get(f"{url}{PATH}", params={"offset": offset, "limit": 1000}, timeout=10).json()
                assert len(body["registeredUsers"]) <= 4
                aors += [i["addressOfRecord"] for i in body["registeredUsers"]]
                offset += len(body["registeredUsers"])
                if offset >= body["total"]:
                    break
            assert aors == ["alice@h"] + [f"{n}@10.8.5.71" for n in [*range(1000, 1010), 2000]]
            assert s.get(f"{url}{PATH}", auth=("admin", "secret"), timeout=10).status_code == 401
            assert s.get(f"{url}/_control/state", timeout=10).json()["bindings"] == 12
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0
    assert proc.stderr is not None and proc.stderr.read() == ""  # no per-request logging


def test_cli_rejects_bad_numbers() -> None:
    env = {**os.environ, "PYTHONPATH": devtools.PYTHONPATH}
    cmd = [sys.executable, "-m", "devtools.device_server", "--port", "0", "--numbers", "9-1"]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2 and "bad range" in proc.stderr


# ---------------------------------------------------------------------- the CLI script and the cursor collection

CLI = "/api/v1/files/cliScript/incremental"
CLI_TEXT = "show voip register db sbc list\n"


def run_script(session: requests.Session, server: DeviceServer | str, script: str) -> requests.Response:
    """Upload ``script`` as the CLI script of ``server`` (a server or its base URL)."""
    base = server if isinstance(server, str) else server.url
    files = {"file": ("cli.txt", script.encode(), "text/plain")}
    return session.put(f"{base}{CLI}", files=files, timeout=10)


def test_cli_script_answers_the_listing_in_each_style(
    server: DeviceServer, session: requests.Session
) -> None:
    server.register("1000", contacts=2)
    server.register("2000", status=0)

    answer = run_script(session, server, "show voip register db sbc list\n")
    assert answer.status_code == 200
    body = answer.json()
    assert body["description"] == "Incremental CLI Script file was loaded."
    assert body["output"].split("\n") == [
        "SBC# show voip register db sbc list",
        "AOR: 1000@10.8.5.71",
        "  Contact: <sip:1000@10.8.5.71:5060>;expires=180; Active status:1",
        "  Contact: <sip:1000@10.8.5.71:5061>;expires=180; Active status:1",
        "AOR: 2000@10.8.5.71",
        "  Contact: <sip:2000@10.8.5.71:5060>;expires=180; Active status:0",
        "SBC#",
    ]

    server.set_cli_listing(style="4000", line_break="dot", total_line=True)
    output = run_script(session, server, "show voip register db sbc list").json()["output"]
    assert output == ". ".join(
        [
            "Mediant4000# show voip register db sbc list",
            "SBC Registered Users",
            "-" * 40,
            "1000@10.8.5.71",
            "  <sip:1000@10.8.5.71:5060>;expires=180; IPG:1; id:1",
            "  <sip:1000@10.8.5.71:5061>;expires=180; IPG:1; id:2",
            "2000@10.8.5.71",
            "  <sip:2000@10.8.5.71:5060>;expires=180; Not-Active; IPG:1; id:3",
            "Total Users: 2",
            "Mediant4000#",
        ]
    )


def test_cli_script_refuses_other_scripts_and_methods(
    server: DeviceServer, session: requests.Session
) -> None:
    assert run_script(session, server, "configure system\n").status_code == 400
    assert run_script(session, server, "").status_code == 400
    assert (
        session.put(f"{server.url}{CLI}", data=b"show voip register db sbc list", timeout=10).status_code
        == 400
    )
    assert session.get(f"{server.url}{CLI}", timeout=10).status_code == 405
    assert run_script(requests.Session(), server, "show voip register db sbc list").status_code == 401


def test_cli_script_faults(server: DeviceServer, session: requests.Session) -> None:
    server.register_numbers(range(1000, 1010))
    server.busy(times=1)
    assert run_script(session, server, CLI_TEXT).status_code == 409
    assert run_script(session, server, CLI_TEXT).status_code == 200
    server.reject_script(times=1)
    assert run_script(session, server, CLI_TEXT).status_code == 400
    server.replace_output("Invalid command", times=1)
    assert run_script(session, server, CLI_TEXT).json()["output"] == "Invalid command"
    server.cut_output(0.5, times=1)
    cut = run_script(session, server, CLI_TEXT).json()["output"]
    assert cut.endswith("<sip:100") and len(cut) < len(run_script(session, server, CLI_TEXT).json()["output"])


def test_cursor_collection_pages_caps_and_answers_204_when_empty(session: requests.Session) -> None:
    with DeviceServer(*AUTH, max_page_size=4, paging="cursor") as srv:
        url = f"{srv.url}{PATH}"
        assert session.get(url, params={"limit": 10}, timeout=10).status_code == 204
        srv.register_numbers(range(1000, 1010))
        first = session.get(url, params={"limit": 10}, timeout=10).json()
        assert len(first["items"]) == 4  # the server's cap
        assert first["cursor"] == {"start": "0", "before": "-1", "after": "3", "end": "3"}
        last = session.get(url, params={"limit": 10, "after": "7"}, timeout=10).json()
        assert [i["addressOfRecord"] for i in last["items"]] == ["1008@10.8.5.71", "1009@10.8.5.71"]
        assert last["cursor"]["after"] == "-1"
        srv.cursor_loop(1)
        session.get(url, params={"limit": 4}, timeout=10)
        assert (
            session.get(url, params={"limit": 4, "after": "3"}, timeout=10).json()["cursor"]["after"] == "3"
        )


def test_control_listing_and_new_faults_over_http(server: DeviceServer, session: requests.Session) -> None:
    answer = control(server, "PUT", "listing", {"style": "4000", "line_break": "crlf", "total_line": True})
    assert answer.json()["cli_listing"] == {
        "style": "4000",
        "line_break": "crlf",
        "total_line": True,
        "aor_label": None,
    }
    assert control(server, "PUT", "listing", {"style": "9.9"}).status_code == 400
    assert control(server, "POST", "faults", {"busy": {"times": 1}}).ok
    assert run_script(session, server, CLI_TEXT).status_code == 409
    assert control(server, "POST", "faults", {"cursor_loop": {"k": 0}}).status_code == 400
    assert control(server, "PUT", "listing", {"paging": "cursor"}).json()["paging"] == "cursor"
    assert get_page(session, server, 0).status_code == 204  # empty, and cursor-paged now


def test_cli_flag_api_cursor(tmp_path: Path) -> None:
    env = {**os.environ, "DEVICE_PASSWORD": "secret", "PYTHONPATH": devtools.PYTHONPATH}
    cmd = [sys.executable, "-m", "devtools.device_server", "--port", "0", "--api", "cursor"]
    cmd += ["--numbers", "1000-1004", "--cli-style", "4000", "--cli-total-line"]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().rsplit(" ", 1)[1]
        with requests.Session() as s:
            s.auth = AUTH
            page = s.get(f"{url}{PATH}", params={"limit": 100}, timeout=10).json()
            assert len(page["items"]) == 5 and page["cursor"]["after"] == "-1"
            output = run_script(s, url, CLI_TEXT).json()["output"]
            assert "Total Users: 5" in output and "IPG:1" in output
    finally:
        proc.terminate()
        proc.wait(timeout=5)
