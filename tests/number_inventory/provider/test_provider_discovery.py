"""Airflow finds the installed project as a provider: the ``audiocodes`` connection type, its hook and
its form, as ``ProvidersManager`` and ``airflow providers list`` see them in a fresh process.

The project is installed by ``make venv`` (``pip install --no-deps -e .``); these tests fail when it
is not, since nothing else registers the entry point.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap

from number_inventory.device_apis.registry import APIS
from number_inventory.provider import PACKAGE_NAME, get_provider_info
from tests.conftest import ROOT

#: The installed distribution's version (raises when the project is not installed).
INSTALLED = importlib.metadata.version(PACKAGE_NAME)

DISCOVER = textwrap.dedent(
    """
    import json, warnings
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ProvidersManager.hooks is deprecated for the task SDK's
        hook = pm.hooks.get("audiocodes")
    print(json.dumps({
        "provider": pm.providers[%r].version if %r in pm.providers else None,
        "hook": hook and hook._asdict(),
        "widgets": {k: v.field for k, v in pm.connection_form_widgets.items() if "__audiocodes__" in k},
        "behaviour": pm.field_behaviours.get("audiocodes"),
    }))
    """
)


def run(*command: str) -> subprocess.CompletedProcess:
    # Not from the repository root: the package must come from the installation, not the cwd.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT / "dags", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_providers_manager_registers_the_audiocodes_connection_type():
    found = json.loads(
        run(sys.executable, "-c", DISCOVER % (PACKAGE_NAME, PACKAGE_NAME)).stdout.strip().splitlines()[-1]
    )

    assert found["provider"] == INSTALLED
    assert found["hook"]["hook_class_name"] == "number_inventory.provider.hooks.audiocodes.AudioCodesHook"
    assert found["hook"]["connection_type"] == "audiocodes"
    assert found["hook"]["hook_name"] == "AudioCodes"
    assert found["hook"]["connection_id_attribute_name"] == "audiocodes_conn_id"
    assert found["hook"]["connection_testable"] is True
    assert found["hook"]["package_name"] == PACKAGE_NAME

    widgets = found["widgets"]
    # The form's fields as the registry declares them (the tree installed in the venv must be this one).
    assert set(widgets) == {
        f"extra__audiocodes__{f}" for f in get_provider_info()["connection-types"][0]["conn-fields"]
    }
    assert {"api", "tenant", "site", "path", "page_size", "verify"} <= {w.rsplit("__", 1)[1] for w in widgets}
    assert widgets["extra__audiocodes__api"]["schema"]["enum"] == list(APIS)
    assert widgets["extra__audiocodes__api"]["value"] == "json"
    assert widgets["extra__audiocodes__page_size"]["schema"]["type"] == ["integer", "null"]
    assert widgets["extra__audiocodes__verify"]["schema"]["type"] == ["boolean", "null"]
    assert widgets["extra__audiocodes__verify"]["value"] is True

    behaviour = found["behaviour"]
    assert behaviour["relabeling"]["host"] == "Device host (SBC or ARM)"
    assert behaviour["relabeling"]["login"] == "Login (HTTP Basic)"
    assert behaviour["placeholders"]["schema"] == "https"


def test_airflow_providers_list_shows_the_package():
    listed = run(sys.executable, "-m", "airflow", "providers", "list", "--output", "json").stdout
    providers = {p["package_name"]: p for p in json.loads(listed[listed.index("[") :])}

    assert PACKAGE_NAME in providers
    assert providers[PACKAGE_NAME]["version"] == INSTALLED


def test_the_provider_info_passes_airflows_schema():
    from airflow.providers_manager import _create_provider_info_schema_validator

    _create_provider_info_schema_validator().validate(get_provider_info())


def test_a_connection_stored_before_the_rename_still_tests_and_reads(airflow_home, db, tmp_path):
    """The one identifier users' stored connections depend on is their ``conn_type``, ``audiocodes``;
    the hook's import path is looked up from the provider at run time. A connection row written into
    the metadata database exactly as the project's first releases stored it (type ``audiocodes``, the
    form's extras) is found, tested as the UI's Test button does, and read by a sync run, in processes
    that import the installed package only."""
    from devtools.device_server import DeviceServer

    with DeviceServer("admin", "stored-Pw-1") as device:
        device.register_numbers(range(2000, 2025))
        stored = {
            "conn_type": "audiocodes",
            "host": "127.0.0.1",
            "port": device.port,
            "schema": "http",
            "login": "admin",
            "password": "stored-Pw-1",
            "extra": json.dumps({"api": "json", "path": "", "page_size": 10, "verify": True}),
        }
        env = {
            k: v
            for k, v in os.environ.items()
            if (k != "PYTHONPATH" and not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_")))
            or k == "AIRFLOW_CONN_NUMBER_INVENTORY_DB"
        } | {
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW_VAR_AUDIOCODES_CONNECTIONS": json.dumps(["audiocodes_stored"]),
        }
        airflow = [sys.executable, "-m", "airflow"]

        def run_in(*command: str) -> str:
            result = subprocess.run(
                command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
            )
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            return result.stdout

        run_in(*airflow, "connections", "add", "audiocodes_stored", "--conn-json", json.dumps(stored))
        tested = run_in(*airflow, "connections", "test", "audiocodes_stored")
        run_in(*airflow, "dags", "test", "audiocodes_number_sync")

    assert "Connection success!" in tested, tested  # the CLI prints no more of the hook's message
    assert "stored-Pw-1" not in tested
    used = db.execute(
        "SELECT count(*) FROM number_inventory WHERE status = 'Used' AND vendor = 'AudioCodes' "
        "AND number BETWEEN '2000' AND '2024'"
    ).fetchone()[0]
    assert used == 25
