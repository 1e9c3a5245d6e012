"""The docker-compose topology, as plain processes on this machine: no Docker needed.

What ``docker-compose.yaml`` runs as containers runs here as processes, configured the same way
(CeleryExecutor, the same ``AIRFLOW__*`` settings, connections and variables from ``AIRFLOW_CONN_*`` /
``AIRFLOW_VAR_*``):

- PostgreSQL: the server on 127.0.0.1:5432 when it answers, else the embedded one the project installs,
  with a fresh metadata database and a fresh inventory database beside it (both dropped at the end);
- Redis on 127.0.0.1:6379 as the Celery broker (database 5, a queue of its own per stack), the metadata
  database as the Celery result backend;
- the Airflow API server, scheduler, DAG processor, triggerer and one Celery worker;
- two bundled AudioCodes-like devices (``devtools.device_server``) with registrations.

By hand::

    .venv/bin/python -m deploy.run_local_stack           # start, trigger one sync, keep running (Ctrl-C stops)
    .venv/bin/python -m deploy.run_local_stack --once    # start, trigger one sync, show it, stop

``tests/deploy/test_local_stack.py`` drives the same :class:`LocalStack`. Every process runs in a
process group of its own with its output in ``<workdir>/logs/``; :meth:`LocalStack.stop` ends them all.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx  # Airflow's own HTTP client
import psutil
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import URL

import devtools
from devtools import local_db
from number_inventory import settings

ROOT = Path(__file__).resolve().parents[1]
SYNC_DAG = "audiocodes_number_sync"
DEFAULT_REDIS_URL = os.environ.get("LOCAL_STACK_REDIS_URL", "redis://127.0.0.1:6379/5")
ADMIN_USER = "admin"


@dataclass(frozen=True)
class Device:
    """One bundled device: the Airflow connection id it is configured as, the numbers it registers
    (``--numbers`` of the device server: a range ``A-B`` or a comma list) and the device API its
    connection names (the ``api`` extra: ``json``, or ``mediant-cli`` for a Mediant SBC's CLI script;
    the device server serves both)."""

    connection_id: str
    numbers: str
    password: str = ""
    api: str = "json"

    def secret(self) -> str:
        return self.password or f"{self.connection_id}-{secrets.token_hex(4)}"


DEFAULT_DEVICES = (Device("audiocodes_a", "1000-1059"), Device("audiocodes_b", "1050-1099"))


#: What a stack's secrets are: the admin's password, the Fernet key that encrypts the stored
#: connections' passwords, the API server's secret key and the JWT signing secret.
SECRET_NAMES = ("admin_password", "fernet_key", "api_secret_key", "jwt_secret")


def new_secrets() -> dict[str, str]:
    """Fresh secrets for a stack (:data:`SECRET_NAMES`)."""
    from cryptography.fernet import Fernet

    return {
        "admin_password": secrets.token_urlsafe(12),
        "fernet_key": Fernet.generate_key().decode(),
        "api_secret_key": secrets.token_urlsafe(32),
        "jwt_secret": secrets.token_urlsafe(32),
    }


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sqlalchemy_url(dsn: str, driver: str = "postgresql+psycopg2") -> str:
    """``dsn`` (libpq form) as a SQLAlchemy URL; a socket directory as host goes to the query."""
    params = conninfo_to_dict(dsn)
    host = params.get("host") or "127.0.0.1"
    query = {"host": host} if host.startswith("/") else {}
    return URL.create(
        driver,
        username=params.get("user") or None,
        password=params.get("password") or None,
        host=None if query else host,
        port=int(params["port"]) if params.get("port") else None,
        database=params.get("dbname"),
        query=query,
    ).render_as_string(hide_password=False)


def redis_reason(url: str) -> str | None:
    """Why the Redis at ``url`` cannot be the broker, or ``None`` when it answers."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} does not answer: {exc}"
    return None


def wait_until(what: str, check: Callable[[], Any], timeout: float, *, every: float = 1.0) -> Any:
    """Poll ``check`` until it returns something truthy; raise ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except (OSError, httpx.HTTPError, ValueError) as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f}s (last error: {last_error})")
        time.sleep(every)


class Process:
    """One component: a command run in a process group of its own, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.started = time.time()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def check_running(self) -> None:
        if not self.running():
            raise RuntimeError(f"{self.name} exited with code {self.proc.returncode}\n{self.tail()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        text = self.output().splitlines()[-lines:]
        return f"----- {self.name} ({self.log_path}), last {len(text)} lines\n" + "\n".join(text)

    def members(self) -> list[psutil.Process]:
        """Every live process this component started: its process group (the leader's pid is the group
        id) and the leader's descendants, should one have left the group."""
        found: dict[int, psutil.Process] = {}
        with contextlib.suppress(psutil.Error):
            leader = psutil.Process(self.proc.pid)
            found.update({p.pid: p for p in [leader, *leader.children(recursive=True)]})
        for proc in psutil.process_iter(["create_time"]):
            with contextlib.suppress(psutil.Error, OSError):
                if os.getpgid(proc.pid) == self.proc.pid and proc.info["create_time"] >= self.started - 1:
                    found.setdefault(proc.pid, proc)
        return list(found.values())

    def terminate(self) -> list[psutil.Process]:
        """Ask every member to stop (SIGTERM); return them, to make sure of them later."""
        members = self.members()
        for member in members:
            with contextlib.suppress(psutil.Error):
                member.terminate()
        return members

    def kill(self, members: Iterable[psutil.Process]) -> None:
        """Kill every member still alive (psutil refuses a pid that another process now has)."""
        for member in members:
            with contextlib.suppress(psutil.Error):
                member.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self._log.close()


class LocalStack:
    """The Airflow deployment of ``docker-compose.yaml`` as local processes, plus its REST API.

    Use as a context manager. ``schedules=False`` keeps the scheduler from creating scheduled runs
    (``[scheduler] use_job_schedule``), so that only the runs a caller triggers run.
    ``executor="LocalExecutor"`` runs the tasks in the scheduler's own worker processes (``parallelism``
    of them) instead: no Redis, no Celery worker.

    By default everything is fresh and goes at :meth:`stop`: databases of a new name (dropped), new
    secrets, connections and variables in the environment (``AIRFLOW_CONN_*``, ``AIRFLOW_VAR_*``). A
    stack that lasts (``make airflow``, ``deploy.local_airflow``) names its databases
    (``database_names``: metadata, inventory) and keeps them (``keep_databases``), keeps the embedded
    server's data in ``pgdata``, passes the same ``secrets`` every time (keys of :data:`SECRET_NAMES`),
    its devices' ``device_ports``, and ``store_settings=True`` stores the connections and variables
    in the metadata database through the REST API (upserted at each start), where *Admin ->
    Connections* shows them with their *Test* button. ``config`` adds ``AIRFLOW__*`` settings.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        devices: Iterable[Device] = DEFAULT_DEVICES,
        redis_url: str = DEFAULT_REDIS_URL,
        api_port: int = 0,
        worker_concurrency: int = 2,
        triggerer: bool = True,
        schedules: bool = True,
        variables: dict[str, str] | None = None,
        say: Callable[[str], None] | None = None,
        executor: str = "CeleryExecutor",
        parallelism: int = 32,
        database_names: tuple[str, str] | None = None,
        keep_databases: bool = False,
        pgdata: Path | None = None,
        secrets: dict[str, str] | None = None,
        device_ports: dict[str, int] | None = None,
        store_settings: bool = False,
        config: dict[str, str] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.log_dir = self.workdir / "logs"
        self.devices = {d.connection_id: d for d in devices}
        self.redis_url = redis_url
        self.api_port = api_port or free_port()
        self.worker_concurrency = worker_concurrency
        self.with_triggerer = triggerer
        self.schedules = schedules
        self.variables = variables or {}
        self.executor = executor
        self.celery = executor == "CeleryExecutor"
        self.parallelism = parallelism
        self.say = say or (lambda text: print(f"[stack {time.strftime('%H:%M:%S')}] {text}", flush=True))
        self.stack_id = uuid.uuid4().hex[:8]
        # a Celery queue of its own: no other stack's worker on the same Redis takes our tasks
        self.queue = f"number_inventory_{self.stack_id}"
        self.secrets = new_secrets() | (secrets or {})
        self.admin_password = self.secrets["admin_password"]
        self.database_names = database_names or (
            f"airflow_stack_{self.stack_id}",
            f"number_inventory_stack_{self.stack_id}",
        )
        self.keep_databases = keep_databases
        self.pgdata = pgdata or Path(tempfile.gettempdir()) / "number-inventory-pgdata"
        self.store_settings = store_settings
        self.config = config or {}
        self.processes: dict[str, Process] = {}
        self.device_ports: dict[str, int] = dict(device_ports or {})
        self.server_dsn: str | None = None
        self.metadata_dsn: str | None = None
        self.inventory_dsn: str | None = None
        self.env: dict[str, str] = {}
        self._databases: list[str] = []
        self._client: httpx.Client | None = None
        #: Redis keys there before this stack started (``None`` until it looked): kombu's shared
        #: bookkeeping keys that this stack's worker creates are removed with its queue.
        self._redis_keys_before: set[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 150) -> LocalStack:
        """Start every component and wait until each is healthy; on any failure stop what started."""
        deadline = time.monotonic() + timeout
        try:
            reason = redis_reason(self.redis_url) if self.celery else None
            if reason:
                raise RuntimeError(reason)
            self._redis_keys_before = self._redis_keys() if self.celery else None
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._create_databases()
            self._start_devices()
            self.env = self.airflow_env()
            self._migrate(self.env, timeout=deadline - time.monotonic())
            self._start_airflow(self.env)
            self._wait_healthy(deadline)
            if self.store_settings:
                self.store_project_settings()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process this stack started, then drop its databases and Redis keys (idempotent)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        processes = list(self.processes.values())
        members = {p.name: p.terminate() for p in processes}
        # a Celery worker finishes its running tasks on SIGTERM; then whatever is left is killed
        psutil.wait_procs([m for ms in members.values() for m in ms], timeout=20)
        for process in processes:
            process.kill(members[process.name])
        if processes:
            self.say(f"stopped {', '.join(p.name for p in processes)}")
        self.processes.clear()
        if self.celery:
            self._forget_queue()
        for name in self._databases:
            with contextlib.suppress(Exception):
                local_db.drop_database(self.server_dsn, name)
        self._databases.clear()

    def _create_databases(self) -> None:
        metadata, inventory = self.database_names
        self.server_dsn, self.metadata_dsn = local_db.local_database(metadata, self.pgdata)
        self.inventory_dsn = local_db.with_database(self.server_dsn, inventory)
        if not self.keep_databases:
            self._databases += [metadata, inventory]
        where = (
            "127.0.0.1:5432"
            if self.server_dsn == local_db.SYSTEM_DSN
            else f"the embedded server ({self.pgdata})"
        )
        self.say(f"databases {metadata} (Airflow metadata) and {inventory} (inventory) on {where}")

    def _start_devices(self) -> None:
        for device in self.devices.values():
            port = self.device_ports.get(device.connection_id) or free_port()
            password = device.secret()
            env = {**os.environ, "DEVICE_PASSWORD": password, "PYTHONPATH": devtools.PYTHONPATH}
            argv = [sys.executable, "-m", "devtools.device_server"]
            argv += ["--host", "127.0.0.1", "--port", str(port), "--numbers", device.numbers]
            argv += ["--max-page-size", "50"]
            process = Process(f"device-{device.connection_id}", argv, env, self.log_dir)
            self.processes[process.name] = process
            self.device_ports[device.connection_id] = port
            self.devices[device.connection_id] = replace(device, password=password)
        for conn_id in self.device_ports:
            process = self.processes[f"device-{conn_id}"]
            wait_until(
                process.name,
                lambda p=process: p.check_running() or "listening on" in p.output(),
                20,
                every=0.2,
            )
        self.say(f"devices {', '.join(f'{c} on :{p}' for c, p in self.device_ports.items())}")

    def connections(self) -> dict[str, dict[str, Any]]:
        """The project's connections (Airflow's JSON form): the inventory database and each device."""
        found = {settings.INVENTORY_CONN_ID: json.loads(local_db.airflow_connection(self.inventory_dsn))}
        for conn_id, device in self.devices.items():
            found[conn_id] = {
                "conn_type": "audiocodes",  # the project's connection type, as in .env.example
                "host": "127.0.0.1",
                "port": self.device_ports[conn_id],
                "schema": "http",
                "login": "admin",
                "password": device.password,
                # small pages so that every read takes several; quick retries
                "extra": {"api": device.api, "page_size": 30, "backoff_seconds": 0.05, "timeout_seconds": 10},
            }
        return found

    def project_variables(self) -> dict[str, str]:
        """The project's variables: the connections to read, and what the caller sets
        (``variables``, as ``AIRFLOW_VAR_<NAME>`` environment variables)."""
        found = {settings.CONNECTIONS_VARIABLE: json.dumps(list(self.devices))}
        for key, value in self.variables.items():
            found[key.removeprefix("AIRFLOW_VAR_").lower()] = value
        return found

    def project_env(self) -> dict[str, str]:
        """The project's connections and variables, as ``.env`` gives them to the containers (none when
        they are stored in the metadata database instead)."""
        if self.store_settings:
            return {}
        env = {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(c) for conn_id, c in self.connections().items()}
        env.update({f"AIRFLOW_VAR_{key.upper()}": value for key, value in self.project_variables().items()})
        return env

    def store_project_settings(self) -> None:
        """Store the project's connections and variables in the metadata database through the REST
        API, replacing what is there (a device's port may have changed since the last start)."""
        for conn_id, connection in self.connections().items():
            body = {"connection_id": conn_id, **connection}
            if isinstance(body.get("extra"), dict):
                body["extra"] = json.dumps(body["extra"])
            self._upsert(f"/connections/{conn_id}", "/connections", body)
        for key, value in self.project_variables().items():
            self._upsert(f"/variables/{key}", "/variables", {"key": key, "value": value})
        self.say(f"connections {', '.join(self.connections())} and variables stored in the metadata database")

    def _upsert(self, path: str, collection: str, body: dict[str, Any]) -> None:
        if self.client.get(path).status_code == 404:
            self.api("POST", collection, json=body)
        else:
            self.api("PATCH", path, json=body)

    def airflow_env(self) -> dict[str, str]:
        """The environment of every Airflow process (they all share one): what docker-compose.yaml
        sets, with local addresses and fresh secrets."""
        home = self.workdir / "airflow"
        home.mkdir(parents=True, exist_ok=True)
        passwords = self.workdir / "simple_auth_manager_passwords.json"
        passwords.write_text(json.dumps({ADMIN_USER: self.admin_password}))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(home),
            PYTHONPATH=devtools.PYTHONPATH,
            AIRFLOW__CORE__EXECUTOR=self.executor,
            AIRFLOW__CORE__PARALLELISM=str(self.parallelism),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            AIRFLOW__CORE__FERNET_KEY=self.secrets["fernet_key"],
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.api_url}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN_USER}:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlalchemy_url(self.metadata_dsn),
            AIRFLOW__CELERY__BROKER_URL=self.redis_url,
            AIRFLOW__CELERY__RESULT_BACKEND="db+" + sqlalchemy_url(self.metadata_dsn),
            AIRFLOW__CELERY__WORKER_CONCURRENCY=str(self.worker_concurrency),
            AIRFLOW__CELERY__SYNC_PARALLELISM="1",
            AIRFLOW__OPERATORS__DEFAULT_QUEUE=self.queue,
            AIRFLOW__API__BASE_URL=self.api_url,
            AIRFLOW__API__PORT=str(self.api_port),
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__API__SECRET_KEY=self.secrets["api_secret_key"],
            AIRFLOW__API_AUTH__JWT_SECRET=self.secrets["jwt_secret"],
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
            AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
            AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="True",
            AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST="127.0.0.1",
            AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=str(free_port()),
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=str(self.schedules),
            # a short loop everywhere: a small stack on a small machine, answering quickly
            AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC="2",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1",
            AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC="2",
        )
        env.update(self.project_env())
        env.update(self.config)
        return env

    def _migrate(self, env: dict[str, str], timeout: float) -> None:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=max(10, timeout),
        )
        (self.log_dir / "airflow-init.log").write_text(result.stdout + result.stderr)
        if result.returncode:
            raise RuntimeError(f"airflow db migrate failed:\n{(result.stdout + result.stderr)[-3000:]}")
        self.say(f"metadata database migrated in {time.monotonic() - started:.0f}s")

    def _start_airflow(self, env: dict[str, str]) -> None:
        airflow = [sys.executable, "-m", "airflow"]
        commands = {
            "airflow-apiserver": [
                *airflow,
                "api-server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
            ],
            "airflow-scheduler": [*airflow, "scheduler"],
            "airflow-dag-processor": [*airflow, "dag-processor"],
        }
        if self.celery:
            commands["airflow-worker"] = [
                *airflow,
                "celery",
                "worker",
                "--queues",
                self.queue,
                "--concurrency",
                str(self.worker_concurrency),
                "--celery-hostname",
                f"{self.queue}@%h",
            ]
        if self.with_triggerer:
            commands["airflow-triggerer"] = [*airflow, "triggerer"]
        # The worker keeps task logs in a folder of its own, as on a machine of its own: the API server
        # fetches them from the worker's log server (worker_log_server_port, signed with [api] secret_key).
        worker_logs = str(self.workdir / "worker-task-logs")
        for name, argv in commands.items():
            own = {"AIRFLOW__LOGGING__BASE_LOG_FOLDER": worker_logs} if name == "airflow-worker" else {}
            self.processes[name] = Process(name, argv, {**env, **own}, self.log_dir)
        self.say(f"started {', '.join(commands)}; API server on {self.api_url}")

    def _wait_healthy(self, deadline: float) -> None:
        """Wait for what the compose healthchecks check: the API answers, the scheduler's health
        server says ok, the DAG processor and the triggerer heartbeat, the worker is ready."""

        def left() -> float:
            return max(1.0, deadline - time.monotonic())

        def alive() -> None:
            for process in self.processes.values():
                process.check_running()

        def api_up() -> bool:
            alive()
            return httpx.get(f"{self.api_url}/api/v2/version", timeout=5).status_code == 200

        wait_until("API server", api_up, left())
        port = self.env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"]

        def healthy() -> bool:
            alive()
            health = httpx.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
            wanted = ["metadatabase", "scheduler", "dag_processor"]
            if self.with_triggerer:
                wanted.append("triggerer")
            scheduler_ok = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
            return scheduler_ok and all((health.get(k) or {}).get("status") == "healthy" for k in wanted)

        wait_until("scheduler, DAG processor and triggerer heartbeats", healthy, left())

        def worker_ready() -> bool:
            alive()
            return " ready." in self.processes["airflow-worker"].output()

        if self.celery:
            wait_until("Celery worker", worker_ready, left())
        self.say("all components healthy")

    def _redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url, socket_connect_timeout=2, socket_timeout=2)

    def _redis_keys(self) -> set[bytes] | None:
        import redis

        try:
            return set(self._redis().scan_iter(count=1000))
        except redis.RedisError:
            return None

    def _forget_queue(self) -> None:
        """Leave Redis as this stack found it: delete its Celery queue's keys (other stacks may share
        the database) and kombu's shared bookkeeping keys (``_kombu.*``, ``unacked*``) that were not
        there when it started."""
        import redis

        with contextlib.suppress(redis.RedisError):
            client = self._redis()
            keys = set(client.scan_iter(match=f"*{self.queue}*", count=1000))
            if self._redis_keys_before is not None:
                created = set(client.scan_iter(count=1000)) - self._redis_keys_before
                keys |= {k for k in created if k.startswith((b"_kombu.", b"unacked"))}
            if keys:
                client.delete(*keys)

    # ------------------------------------------------------------------ REST API

    @property
    def client(self) -> httpx.Client:
        """An authenticated client of the REST API (``POST /auth/token`` with the admin user)."""
        if self._client is None:
            token = httpx.post(
                f"{self.api_url}/auth/token",
                json={"username": ADMIN_USER, "password": self.admin_password},
                timeout=10,
            )
            token.raise_for_status()
            self._client = httpx.Client(
                base_url=f"{self.api_url}/api/v2",
                headers={"Authorization": f"Bearer {token.json()['access_token']}"},
                timeout=30,
            )
        return self._client

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the REST API and return the JSON answer, failing on an error status."""
        response = self.client.request(method, path, **kwargs)
        if response.is_error:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:1000]}")
        return response.json() if response.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 90) -> dict:
        """Wait until the DAG processor has parsed ``dag_id``; fail at once on an import error."""

        def parsed() -> dict | None:
            errors = self.api("GET", "/importErrors")["import_errors"]
            if errors:
                raise AssertionError(f"DAG import errors: {json.dumps(errors, indent=1)[:3000]}")
            response = self.client.get(f"/dags/{dag_id}")
            return response.json() if response.status_code == 200 else None

        return wait_until(f"DAG {dag_id}", parsed, timeout, every=2)

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, logical_date: dt.datetime, conf: dict | None = None) -> str:
        """Trigger a run of ``dag_id`` for ``logical_date``; return its run id."""
        body = {"logical_date": logical_date.isoformat(), "conf": conf or {}}
        return self.api("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 150) -> str:
        """Wait until the run ends; return its state (``success`` or ``failed``)."""

        def ended() -> str | None:
            for process in self.processes.values():
                process.check_running()
            state = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            return state if state in ("success", "failed") else None

        return wait_until(f"run {run_id} of {dag_id}", ended, timeout, every=2)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        """The run's task instances, mapped ones one row per map index."""
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1) -> str:
        """A task instance's log as the API server serves it (fetched from the worker's log server)."""
        answer = self.api(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            params={"map_index": map_index, "full_content": True},
            headers={"Accept": "application/json"},
        )
        content = answer.get("content", [])
        if isinstance(content, str):
            return content
        lines = []
        for item in content:
            if not isinstance(item, dict):
                lines.append(str(item))
                continue
            lines.append(str(item.get("event", "")))
            for error in item.get("error_detail") or []:  # a task's exception, as structured logging keeps it
                lines.append(f"  {error.get('exc_type')}: {error.get('exc_value')}")
        return "\n".join(lines)

    def log_tails(self, lines: int = 40) -> str:
        """The last lines of every component's log, for a failure message."""
        return "\n".join(p.tail(lines) for p in self.processes.values())


def show_run(stack: LocalStack, dag_id: str, run_id: str) -> None:
    """Print a run's task instances and the inventory by status."""
    import psycopg

    for ti in stack.task_instances(dag_id, run_id):
        print(
            f"  {ti['task_id']:<22} map_index={ti['map_index']:<3} {ti.get('rendered_map_index') or '':<14} "
            f"{ti['state']:<8} host={ti['hostname']} queue={ti['queue']} pid={ti['pid']}"
        )
    with psycopg.connect(stack.inventory_dsn) as conn:
        counts = conn.execute(
            "SELECT status, usage, vendor, count(*) FROM number_inventory GROUP BY 1, 2, 3 ORDER BY 1"
        ).fetchall()
    print(
        "  inventory: " + ("; ".join(f"{s}/{u or '-'}/{v or '-'}: {n}" for s, u, v, n in counts) or "empty")
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir", type=Path, help="logs and AIRFLOW_HOME (default: a new temporary directory)"
    )
    parser.add_argument("--api-port", type=int, default=8080, help="0 picks a free port (default 8080)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument(
        "--device",
        action="append",
        metavar="CONN_ID=NUMBERS",
        help="a device and the numbers it registers, e.g. audiocodes_a=1000-1059 (repeatable; "
        "default: audiocodes_a=1000-1059 and audiocodes_b=1050-1099)",
    )
    parser.add_argument("--no-trigger", action="store_true", help="do not trigger a sync run at start")
    parser.add_argument("--once", action="store_true", help="stop after the triggered sync run")
    parser.add_argument(
        "--schedules", action="store_true", help="let the scheduler create scheduled runs too"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    devices = DEFAULT_DEVICES
    if args.device:
        devices = tuple(Device(*spec.split("=", 1)) for spec in args.device)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="number-inventory-stack-"))

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # also when started in the background, where SIGINT is ignored

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    stack = LocalStack(
        workdir, devices=devices, redis_url=args.redis_url, api_port=args.api_port, schedules=args.schedules
    )
    try:
        stack.start()
        print(
            f"\nAirflow UI and REST API: {stack.api_url}  (user {ADMIN_USER}, password {stack.admin_password})"
        )
        print(f"Inventory database:      {stack.inventory_dsn}")
        print(f"Logs:                    {stack.log_dir}\n")
        state = "success"
        if not args.no_trigger:
            stack.wait_for_dag(SYNC_DAG)
            stack.unpause(SYNC_DAG)
            run_id = stack.trigger(SYNC_DAG, dt.datetime.now(dt.UTC).replace(microsecond=0))
            print(f"Triggered {SYNC_DAG} run {run_id}")
            state = stack.wait_for_run(SYNC_DAG, run_id)
            print(f"Run {run_id}: {state}")
            show_run(stack, SYNC_DAG, run_id)
        if not args.once:
            print("\nRunning; Ctrl-C stops everything.")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(1)
                    for process in stack.processes.values():
                        process.check_running()
        return 0 if state == "success" else 1
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, TimeoutError, AssertionError) as exc:
        print(f"\n{exc}\n\n{stack.log_tails()}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
