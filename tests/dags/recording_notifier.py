"""A real Airflow notifier for the alert tests: it renders its templated fields like any notifier
and appends what it would send to a file, so a test can read what the on-call engineer gets."""

from __future__ import annotations

import json
from pathlib import Path

from airflow.sdk.bases.notifier import BaseNotifier


class RecordingNotifier(BaseNotifier):
    template_fields = ("subject", "message")

    def __init__(self, path: str, subject: str, message: str) -> None:
        super().__init__()
        self.path, self.subject, self.message = path, subject, message

    def notify(self, context) -> None:
        with Path(self.path).open("a") as out:
            out.write(json.dumps({"subject": self.subject, "message": self.message}) + "\n")
