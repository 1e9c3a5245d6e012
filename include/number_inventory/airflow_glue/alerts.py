"""Alerts an on-call engineer can act on: every failed task of the project's DAGs hands one to the
notifier the operator configured, without editing a DAG file.

The Variable ``number_inventory_notifier`` (or ``AIRFLOW_VAR_NUMBER_INVENTORY_NOTIFIER``) names any
Airflow notifier class and its arguments, e.g. the SMTP provider's::

    {"class": "airflow.providers.smtp.notifications.smtp.SmtpNotifier",
     "kwargs": {"to": "voice-oncall@example.com",
                "subject": "{{ number_inventory_alert.subject }}",
                "html_content": "<pre>{{ number_inventory_alert.message }}</pre>"}}

The notifier's templated fields see ``number_inventory_alert`` (``subject`` and ``message``) beside the
usual task context. The message says which DAG, run and task failed and why, in the words of the
failure itself: the connection and the reason for a failed read, the refused mass removal, the stale
device, the audit's conflicts. Without the Variable nothing is sent. A notifier that cannot be built
or fails is logged and never hides the failure it reports.

One fault, one alert: a task whose failure only repeats what failed tasks of its run have alerted
already (the sync's ``check_reads`` after a failed ``read_connection``) says so on its exception
(:func:`alerted_already`), and sends nothing.

Imported by ``airflow_glue.dag_defaults`` at parse time: nothing here reads a Variable until a task fails.
"""

from __future__ import annotations

import importlib
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

NOTIFIER_VARIABLE = "number_inventory_notifier"
#: The name under which the alert reaches the notifier's templates.
ALERT_KEY = "number_inventory_alert"
#: The attribute of a task's exception saying why its failure needs no alert of its own.
ALERTED = "number_inventory_alerted"


def alerted_already(exc: BaseException, why: str) -> None:
    """Mark the failure ``exc`` as needing no alert of its own: ``why`` (other tasks sent it)."""
    setattr(exc, ALERTED, why)


def alerted_by_others(exc: BaseException | None) -> str | None:
    """Why the failure ``exc`` needs no alert of its own (:func:`alerted_already`), else ``None``."""
    return getattr(exc, ALERTED, None)


class NotifierError(ValueError):
    """The notifier Variable cannot be turned into a notifier; the message says what is wrong."""


def build_notifier(value: Any) -> Any:
    """The notifier that ``number_inventory_notifier`` describes: JSON ``{"class": "module.Class",
    "kwargs": {...}}`` naming a subclass of Airflow's ``BaseNotifier``."""
    from airflow.sdk.bases.notifier import BaseNotifier

    try:
        config = json.loads(value) if isinstance(value, str) else value
        path, kwargs = config["class"], config.get("kwargs", {})
        if not isinstance(path, str) or not isinstance(kwargs, dict):
            raise TypeError
        module, _, name = path.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
    except (ValueError, TypeError, KeyError, AttributeError, ImportError) as exc:
        raise NotifierError(
            f"Variable {NOTIFIER_VARIABLE!r} must be JSON like "
            '{"class": "airflow.providers.smtp.notifications.smtp.SmtpNotifier", "kwargs": {...}} '
            f"naming an importable notifier class ({type(exc).__name__}: {exc})"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, BaseNotifier)):
        raise NotifierError(
            f"Variable {NOTIFIER_VARIABLE!r}: {path} is not an Airflow notifier (BaseNotifier)"
        )
    return cls(**kwargs)


def alert_for(context: Any) -> dict[str, str]:
    """The subject and message of the alert for a failed task."""
    dag_id = getattr(context.get("dag"), "dag_id", None) or "?"
    task_id = getattr(context.get("task_instance"), "task_id", None) or getattr(
        context.get("task"), "task_id", "?"
    )
    map_index = getattr(context.get("task_instance"), "map_index", -1)
    # A mapped task's name in the UI (its map_index_template): the read's connection.
    label = getattr(context.get("task_instance"), "rendered_map_index", None)
    where = f"{task_id}[{label}]" if label else (f"{task_id}[{map_index}]" if map_index >= 0 else task_id)
    reason = str(context.get("exception") or "the task failed without an exception")
    subject = f"[number inventory] {dag_id}: {where} failed"
    message = f"{dag_id}, run {context.get('run_id')}: task {where} failed.\n\n{reason}"
    return {"subject": subject, "message": message}


def on_failure(context: Any) -> None:
    """Task failure callback of every task: send the alert through the configured notifier."""
    from airflow.sdk import Variable

    already = alerted_by_others(context.get("exception"))
    if already:
        log.info("No alert for this failure: %s", already)
        return
    try:
        value = Variable.get(NOTIFIER_VARIABLE, default=None)
        if not value:
            return
        notifier = build_notifier(value)
        alert = alert_for(context)
        context[ALERT_KEY] = alert
        notifier(context)
        log.info("Alert sent through %s: %s", type(notifier).__name__, alert["subject"])
    except Exception:
        log.exception("Could not send the failure alert (Variable %s)", NOTIFIER_VARIABLE)
