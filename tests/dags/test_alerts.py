"""Failure alerts through Airflow's notifier mechanism, configured by a Variable and never by editing a
DAG: the real sync DAG fails on a device with a wrong password, and the configured notifier receives a
message naming the connection and the reason, without the password."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from number_inventory.airflow_glue import alerts
from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import D

pytestmark = pytest.mark.dag

SYNC, DAILY = "audiocodes_number_sync", "number_inventory_daily"


def configure(monkeypatch, path) -> None:
    monkeypatch.setenv(
        "AIRFLOW_VAR_NUMBER_INVENTORY_NOTIFIER",
        json.dumps(
            {
                "class": "tests.dags.recording_notifier.RecordingNotifier",
                "kwargs": {
                    "path": str(path),
                    "subject": "{{ number_inventory_alert.subject }}",
                    "message": "{{ number_inventory_alert.message }}",
                },
            }
        ),
    )


def sent(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_failed_read_alerts_naming_the_connection_and_the_reason(
    db, devices, run_dag, monkeypatch, tmp_path
):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(["1000"])
    b.register_numbers(["2000"])
    monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", http_connection(b, "hunter2-wrong", retries=0))
    path = tmp_path / "alerts.jsonl"
    configure(monkeypatch, path)

    state, tasks = run_dag(SYNC, D(2026, 11, 2))

    assert state == "failed" and tasks["check_reads"] == ["failed"]  # the run fails at check_reads
    # One fault, one alert: from the read task, not again from check_reads, which repeats it.
    [alert] = sent(path)
    assert (
        alert["subject"] == "[number inventory] audiocodes_number_sync: read_connection[audiocodes_b] failed"
    )
    assert "connection 'audiocodes_b'" in alert["message"] and "HTTP 401" in alert["message"]
    assert "hunter2-wrong" not in alert["message"] and PASSWORDS["audiocodes_b"] not in alert["message"]


def test_a_stale_device_alerts_once_naming_the_connection_its_age_and_what_to_do(
    db, devices, run_dag, monkeypatch, tmp_path
):
    a, b = devices["audiocodes_a"], devices["audiocodes_b"]
    a.register_numbers(["1000"])
    b.register_numbers(["2000", "2001"])
    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    monkeypatch.setenv("AIRFLOW_CONN_AUDIOCODES_B", http_connection(b, "hunter2-wrong", retries=0))
    assert run_dag(SYNC, dt.datetime(2026, 11, 4, 1, 0, tzinfo=dt.UTC))[0] == "failed"  # a read, b not
    path = tmp_path / "alerts.jsonl"
    configure(monkeypatch, path)

    state, tasks = run_dag(DAILY, dt.datetime(2026, 11, 4, 2, 0, tzinfo=dt.UTC))

    assert state == "failed" and tasks["release_and_audit"] == ["failed"]
    [alert] = sent(path)  # one failed task, one alert
    assert alert["subject"] == "[number inventory] number_inventory_daily: release_and_audit failed"
    assert "stale_read" in alert["message"]
    assert (
        "connection audiocodes_b was last read completely 49.0 hours ago (2026-11-02 01:00+00:00), more "
        "than audiocodes_max_read_age_hours (24) allows; its old read still holds 2 numbers Used"
    ) in alert["message"]
    assert "fix the device or its connection, or purge it" in alert["message"]
    assert "audiocodes_a" not in alert["message"]
    assert "hunter2-wrong" not in alert["message"]


def test_a_successful_run_sends_nothing(db, devices, run_dag, monkeypatch, tmp_path):
    devices["audiocodes_a"].register_numbers(["1000"])
    path = tmp_path / "alerts.jsonl"
    configure(monkeypatch, path)

    assert run_dag(SYNC, D(2026, 11, 2))[0] == "success"
    assert sent(path) == []


@pytest.mark.parametrize(
    "value",
    ['{"class": "no.such.Notifier"}', '{"kwargs": {}}', "not json", '{"class": "json.JSONDecoder"}'],
)
def test_a_bad_notifier_variable_says_what_is_wrong(value):
    with pytest.raises(alerts.NotifierError, match="number_inventory_notifier"):
        alerts.build_notifier(value)
