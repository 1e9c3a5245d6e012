"""docker-compose.yaml, the Dockerfile and .env.example, read and checked against the project.

There is no Docker engine in CI, so the compose stack is checked statically here; the same topology
runs for real, as processes, in test_local_stack.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from devtools import local_db
from devtools.device_server import parse_numbers
from number_inventory import settings
from number_inventory.device_apis.contract import Contract
from number_inventory.provider import CONN_TYPE

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
SERVICES = COMPOSE["services"]
PROJECT = "/opt/airflow/project"

#: The services of Airflow's docker-compose layout, and the Airflow command each runs.
AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-worker": "celery worker",
    "airflow-triggerer": "triggerer",
}
#: The variables the DAGs read (settings.py), with the environment variable that sets each.
VARIABLES = {
    name: f"AIRFLOW_VAR_{name.upper()}"
    for name in (
        settings.CONNECTIONS_VARIABLE,
        settings.COOLING_VARIABLE,
        settings.GUARD_VARIABLE,
        settings.TIMEZONE_VARIABLE,
    )
}
#: Extras the http provider reads itself, beside the contract's.


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """``(set, commented)``: the assignments of .env.example, and those only shown in a comment."""
    assigned: dict[str, str] = {}
    commented: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            value = match[3]
            if len(value) >= 2 and value[0] == value[-1] == "'":
                value = value[1:-1]
            (commented if match[1] else assigned)[match[2]] = value
    return assigned, commented


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_the_image_is_the_pinned_airflow_with_the_pinned_requirements():
    dockerfile = (ROOT / "Dockerfile").read_text()
    image = re.search(r"^FROM\s+apache/airflow:(\S+)", dockerfile, re.MULTILINE)[1]
    pinned = re.search(r"^apache-airflow==(\S+)", (ROOT / "requirements.txt").read_text(), re.MULTILINE)[1]
    assert image == f"{pinned}-python3.11"  # constraints.txt is compiled for Python 3.11
    assert f"\napache-airflow=={pinned}\n" in (ROOT / "constraints.txt").read_text()
    install = re.search(r"^RUN pip install .*$", dockerfile, re.MULTILINE)[0]
    assert "-r /opt/airflow/project/requirements.txt" in install
    assert "-c /opt/airflow/project/constraints.txt" in install
    for service in [*AIRFLOW_COMMANDS, "airflow-init", "audiocodes-device"]:
        assert SERVICES[service]["build"] == ".", service
        assert SERVICES[service]["image"] == SERVICES["airflow-apiserver"]["image"], service
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in environment(service), service


def test_the_image_installs_the_project_as_a_provider(tmp_path):
    """The Dockerfile installs the project from what it copied (so that Airflow in the image knows the
    ``audiocodes`` connection type), and what it copied builds a package holding the provider, its
    entry point and the SQL files."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    steps = re.findall(r"^(COPY|RUN)\s+(.+)$", dockerfile, re.MULTILINE)
    install = [i for i, (op, args) in enumerate(steps) if op == "RUN" and "--no-deps" in args]
    assert len(install) == 1, "the Dockerfile installs the project once, with pip install --no-deps"
    assert re.fullmatch(rf"pip install (--no-cache-dir )?--no-deps {PROJECT}/?", steps[install[0]][1])
    # the project folder as it stands in the image when that RUN runs
    image_project = tmp_path / "project"
    for op, args in steps[: install[0]]:
        if op == "COPY":
            *sources, target = [a for a in args.split() if not a.startswith("--")]
            assert target.startswith(PROJECT), target
            for source in sources:
                into = image_project / target[len(PROJECT) :].strip("/")
                if (ROOT / source).is_dir():
                    shutil.copytree(ROOT / source, into, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    into.mkdir(parents=True, exist_ok=True)
                    shutil.copy(ROOT / source, into)
    wheels = tmp_path / "wheels"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(image_project), "-w", str(wheels)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = wheels.glob("number_inventory_audiocodes-*.whl")
    with zipfile.ZipFile(wheel) as built:
        names = set(built.namelist())
        entry_points = next(
            built.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt")
        )
    assert "[apache_airflow_provider]" in entry_points
    assert "provider_info = number_inventory.provider:get_provider_info" in entry_points
    assert "number_inventory/provider/hooks/audiocodes.py" in names
    assert not any(n.startswith("include/") for n in names)  # one name of the project's own
    sql = {
        "number_inventory/sql/" + p.relative_to(ROOT / "include" / "sql").as_posix()
        for p in (ROOT / "include" / "sql").rglob("*.sql")
    }
    assert sql and sql <= names  # the store loads these at run time
    # what runs in Airflow only: no development tooling in the image's package
    assert not any(n.startswith("devtools/") or "device_server" in n or "local_db" in n for n in names)


def test_the_build_context_leaves_secrets_and_local_state_out():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"  # an allowlist: .env, .venv, .git and test output stay out
    included = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied = set(re.findall(r"^COPY\s+(?:--\S+\s+)*(.+?)\s+\S+$", (ROOT / "Dockerfile").read_text(), re.M))
    assert {name for line in copied for name in line.split()} == included
    assert all((ROOT / name).exists() for name in included)
    assert ".env" in (ROOT / ".gitignore").read_text().split()  # nor is .env committed


def test_every_service_of_the_layout_is_there_with_a_healthcheck():
    assert {"postgres", "redis", "airflow-init", *AIRFLOW_COMMANDS} <= set(SERVICES)
    for name in ["postgres", "redis", *AIRFLOW_COMMANDS, "audiocodes-device"]:
        test = SERVICES[name].get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
    for name, command in AIRFLOW_COMMANDS.items():
        assert SERVICES[name]["command"] == command, name
    assert "8080" in [str(port).split(":")[-1] for port in SERVICES["airflow-apiserver"]["ports"]]
    assert "profiles" not in SERVICES["airflow-worker"]  # a plain service: --scale airflow-worker=N works
    assert "container_name" not in SERVICES["airflow-worker"]


def test_services_wait_for_what_they_need():
    for name in AIRFLOW_COMMANDS:
        depends = SERVICES[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
    # workers need the API server: tasks talk to it through the execution API
    assert SERVICES["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    init = SERVICES["airflow-init"]
    assert {k: v["condition"] for k, v in init["depends_on"].items()} == {
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }
    assert "airflow db migrate" in "\n".join(init["command"])


def test_the_executor_is_celery_on_redis_with_postgres():
    for name in [*AIRFLOW_COMMANDS, "airflow-init"]:
        env = environment(name)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert (
            env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
            and "@redis:6379/" in env["AIRFLOW__CELERY__BROKER_URL"]
        )
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        # one JWT secret for all: a worker's task must be able to authenticate to the API server
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET:?")
        assert env["AIRFLOW__API__SECRET_KEY"].startswith("${AIRFLOW_SECRET_KEY:?")


def test_the_project_is_mounted_and_importable_as_in_the_tests():
    for name in [*AIRFLOW_COMMANDS, "airflow-init"]:
        mounts = dict(v.split(":")[:2] for v in SERVICES[name]["volumes"] if v.startswith("./"))
        assert mounts == {f"./{d}": f"{PROJECT}/{d}" for d in ("dags", "include", "plugins")}, name
        env = environment(name)
        assert env["PYTHONPATH"] == f"{PROJECT}/include:{PROJECT}"
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == f"{PROJECT}/dags"
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == f"{PROJECT}/plugins"
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{volume}: {source} is not in the repository"


def test_the_variables_set_are_the_ones_the_dags_read():
    assigned, commented = env_example()
    documented = assigned | commented
    # every Airflow service gets .env, where the variables and the device connections are set
    for name in [*AIRFLOW_COMMANDS, "airflow-init"]:
        assert SERVICES[name]["env_file"] == ".env", name
    # set: the connections to read and the cooling duration; documented: the optional two
    assert {VARIABLES[settings.CONNECTIONS_VARIABLE], VARIABLES[settings.COOLING_VARIABLE]} <= set(assigned)
    assert set(VARIABLES.values()) <= set(documented)
    # no variable the DAGs do not read (a misspelt name would be silently ignored)
    compose_names = set(re.findall(r"\b(AIRFLOW_VAR_[A-Z0-9_]+)", (ROOT / "docker-compose.yaml").read_text()))
    stray = {n for n in compose_names | set(documented) if n.startswith("AIRFLOW_VAR_")} - set(
        VARIABLES.values()
    )
    assert not stray, f"variables no DAG reads: {stray}"
    # and every value shown is one the DAGs accept
    assert settings.cooling_days(documented[VARIABLES[settings.COOLING_VARIABLE]]) >= 0
    settings.mass_removal_guard(documented[VARIABLES[settings.GUARD_VARIABLE]])
    settings.timezone(documented[VARIABLES[settings.TIMEZONE_VARIABLE]])
    connection_ids = settings.connection_ids(assigned[VARIABLES[settings.CONNECTIONS_VARIABLE]])
    # the inventory connection, built from the inventory database's settings
    inventory = environment("airflow-scheduler")[f"AIRFLOW_CONN_{settings.INVENTORY_CONN_ID.upper()}"]
    assert inventory.startswith("postgresql://${INVENTORY_DB_USER")
    assert "${INVENTORY_DB_NAME" in inventory and "${INVENTORY_DB_PASSWORD" in inventory
    # every listed device connection is set; every example is a valid HTTP connection
    for conn_id in connection_ids:
        assert f"AIRFLOW_CONN_{conn_id.upper()}" in assigned, conn_id
    examples = {k: v for k, v in documented.items() if k.startswith("AIRFLOW_CONN_")}
    assert len(examples) >= 2
    types = {name: json.loads(value)["conn_type"] for name, value in examples.items()}
    assert set(types.values()) == {CONN_TYPE, "http"}, types  # both types read the same
    for name, value in examples.items():
        extras = json.loads(value).get("extra", {})
        # refuses an extra nobody reads, naming it
        Contract.from_extras(extras, name)


def test_the_schedules_the_dags_read_are_set():
    read = set()
    for dag_file in (ROOT / "dags").glob("*.py"):
        read |= set(re.findall(r"os\.environ\.get\(\s*[\"']([A-Z0-9_]+)[\"']", dag_file.read_text()))
    assert {"AUDIOCODES_SYNC_SCHEDULE", "NUMBER_INVENTORY_DAILY_SCHEDULE"} <= read
    for name in AIRFLOW_COMMANDS:
        assert read <= set(environment(name)), name


def test_env_example_documents_every_setting_of_the_compose_file():
    text = (ROOT / "docker-compose.yaml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    assigned, commented = env_example()
    assert used, "no ${VAR} found"
    assert used <= set(assigned) | set(commented), (
        f"not in .env.example: {used - set(assigned) - set(commented)}"
    )
    # and .env.example has nothing stale: each line is used by compose or is an Airflow connection/variable
    stale = {
        n
        for n in assigned | commented
        if n not in used and not n.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))
    }
    assert not stale, f"set in .env.example but used nowhere: {stale}"


def test_the_demo_profile_runs_the_bundled_device_as_the_default_connection():
    device = SERVICES["audiocodes-device"]
    assert device["profiles"] == ["demo"]
    command = device["command"].split()
    assert command[:3] == ["python", "-m", "devtools.device_server"]
    options = dict(zip(command[3::2], command[4::2], strict=True))
    assert options == {"--host": "0.0.0.0", "--port": "8081", "--numbers": "1000-1999"}
    assert len(parse_numbers(options["--numbers"])) == 1000
    assert "DEVICE_PASSWORD" in device["environment"]
    # the image holds no development tooling: the device server comes from the working tree
    assert "./devtools:/opt/airflow/project/devtools" in device["volumes"]
    assigned, _ = env_example()
    demo = json.loads(assigned["AIRFLOW_CONN_AUDIOCODES_DEFAULT"])
    assert (demo["host"], demo["port"], demo["schema"]) == ("audiocodes-device", 8081, "http")
    assert demo["password"] == assigned["DEVICE_PASSWORD"]
    assert "audiocodes_default" in json.loads(assigned["AIRFLOW_VAR_AUDIOCODES_CONNECTIONS"])


def test_postgres_creates_the_inventory_database_beside_the_metadata_one():
    postgres = SERVICES["postgres"]
    script = ROOT / "deploy/postgres/create-inventory-db.sh"
    mount = f"./{script.relative_to(ROOT)}:/docker-entrypoint-initdb.d/"
    assert any(v.startswith(mount) for v in postgres["volumes"])
    assert os.access(script, os.X_OK)
    used = set(re.findall(r"\$\{?(INVENTORY_DB_[A-Z]+|POSTGRES_[A-Z]+)", script.read_text()))
    assert used <= set(postgres["environment"])


def test_the_inventory_init_script_runs_on_postgres(pg):
    """Run the init script as the postgres image would, against this machine's server."""
    if not shutil.which("psql"):
        pytest.skip("psql is not installed")
    server = conninfo_to_dict(pg[0])
    name = f"inventory_init_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "PGHOST": server.get("host", "127.0.0.1"),
        "PGPORT": str(server.get("port", 5432)),
        "POSTGRES_USER": server.get("user", "postgres"),
        "POSTGRES_DB": server.get("dbname", "postgres"),
        "INVENTORY_DB_NAME": name,
        "INVENTORY_DB_USER": name,
        "INVENTORY_DB_PASSWORD": "it's-secret",
    }
    try:
        result = subprocess.run(
            ["bash", str(ROOT / "deploy/postgres/create-inventory-db.sh")],
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        with local_db.connect(local_db.with_database(pg[0], name)) as conn:
            owner = conn.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
            ).fetchone()[0]
        assert owner == name
    finally:
        local_db.drop_database(pg[0], name)
        with psycopg.connect(pg[0], autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{name}"')
