"""The corpus of CLI answers in ``tests/data/hostile_cli``: one file per case, its verdict in
``cases.json`` (see the folder's README). Every case lists the numbers 5000-5019 (or part of them)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "data" / "hostile_cli"
#: The numbers every case is about: a device that registers them all.
NUMBERS = [str(n) for n in range(5000, 5020)]


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    verdict: str  # "failed" (a failed read) or "listing" (accepted)
    expect: dict

    @property
    def failed(self) -> bool:
        return self.verdict == "failed"


def cases() -> list[Case]:
    """Every case of the corpus; a ``.txt`` without an entry in ``cases.json`` (or the reverse) is an
    error, so that a case added without its verdict cannot pass unseen."""
    verdicts = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
    names = sorted(path.stem for path in CORPUS.glob("*.txt"))
    if sorted(verdicts) != names:
        raise AssertionError(f"cases.json and the .txt files disagree: {sorted(set(names) ^ set(verdicts))}")
    found = []
    for name in names:
        expect = dict(verdicts[name])
        verdict = expect.pop("verdict")
        if verdict not in ("failed", "listing"):
            raise AssertionError(f"{name}: verdict must be 'failed' or 'listing', got {verdict!r}")
        with open(CORPUS / f"{name}.txt", encoding="utf-8", newline="") as f:
            found.append(Case(name, f.read(), verdict, expect))
    return found
