"""Failure alerts through Airflow's notifier mechanism, configured by a Variable and never by editing a
DAG: the real sync DAG fails on a device with a wrong password, and the configured notifier receives a
message naming the connection and the reason, without the password."""

from __future__ import annotations

import json

import pytest

from include import alerts
from tests.conftest import PASSWORDS, http_connection
from tests.dags.helpers import D

pytestmark = pytest.mark.dag

SYNC = "audiocodes_number_sync"


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

    state, _ = run_dag(SYNC, D(2026, 11, 2))

    assert state == "failed"
    alerts_sent = sent(path)
    assert alerts_sent, "no alert was sent"
    text = json.dumps(alerts_sent)
    assert "audiocodes_b" in text and "HTTP 401" in text
    assert any(
        alert["subject"].startswith("[number inventory] audiocodes_number_sync:") for alert in alerts_sent
    )
    assert "hunter2-wrong" not in text and PASSWORDS["audiocodes_b"] not in text


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
