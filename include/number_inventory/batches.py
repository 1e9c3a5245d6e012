"""Reconciling the inventory by number range, so that memory stays bounded at any size.

The sync and the daily run plan number by number: a number's changes depend only on its own
inventory row and on whether a kept read registers it, except for the audit's
``possible_duplicate``, which pairs ``14155550100`` with ``+14155550100``. A batch is therefore a
range of *range keys*, the number without its leading ``+``: both spellings of a number share a key,
so they always land in the same batch, and any split gives the same plan as one batch.

Ranges are chosen from the numbers themselves (a sample of the inventory and the kept
registrations, see ``store.number_ranges``) so that each holds about ``batch_rows`` rows. The
SQL side (``include/sql/*_in_range.sql``) selects exactly the numbers :meth:`NumberRange.contains`
does.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: About how many rows (inventory rows plus active registrations) one batch of a reconcile loads. At
#: a million numbers (two million rows) the whole reconcile is one batch, as before; the reconcile's
#: peak memory is about 0.3 GB per million rows of a batch. The environment variable
#: ``NUMBER_INVENTORY_BATCH_ROWS`` sets another (the benchmark's ``--batch-rows``).
BATCH_ROWS = int(os.environ.get("NUMBER_INVENTORY_BATCH_ROWS") or 3_000_000)


def range_key(number: str) -> str:
    """The key a number is batched by: the number without one leading ``+``."""
    return number[1:] if number[:1] == "+" else number


@dataclass(frozen=True)
class NumberRange:
    """The numbers whose range key is at least ``low`` and below ``high`` (``None``: unbounded)."""

    low: str | None = None
    high: str | None = None

    @property
    def everything(self) -> bool:
        return self.low is None and self.high is None

    def contains(self, numbers: pd.Series) -> pd.Series:
        """Which of ``numbers`` fall in this range (Python's string order is the "C" collation's for
        the UTF-8 text numbers are)."""
        import pandas as pd

        keys = numbers.astype("string").str.removeprefix("+")  # range_key, column-wise

        mask = pd.Series(True, index=numbers.index)
        if self.low is not None:
            mask &= (keys >= self.low).fillna(False)
        if self.high is not None:
            mask &= (keys < self.high).fillna(False)
        return mask.astype(bool)

    def params(self) -> dict[str, str | None]:
        """The bounds as the ``*_in_range.sql`` queries take them."""
        return {"low": self.low, "high": self.high}


def ranges_between(boundaries: Iterable[str]) -> list[NumberRange]:
    """Consecutive ranges split at ``boundaries`` (sorted and de-duplicated here), covering every key."""
    cuts = sorted(set(boundaries))
    lows: list[str | None] = [None, *cuts]
    highs: list[str | None] = [*cuts, None]
    return [NumberRange(low, high) for low, high in zip(lows, highs, strict=True)]


def ranges_from_sample(sample: Iterable[str], total_rows: int, batch_rows: int) -> list[NumberRange]:
    """Ranges of about ``batch_rows`` of ``total_rows`` rows each, cut at quantiles of the range
    keys of ``sample`` (numbers drawn uniformly from those rows)."""
    batches = max(1, math.ceil(total_rows / max(1, batch_rows)))
    keys = sorted(range_key(number) for number in sample)
    if batches == 1 or not keys:
        return [NumberRange()]
    cuts = [keys[len(keys) * i // batches] for i in range(1, batches)]
    return ranges_between(cut for cut in cuts if cut > keys[0])


def split(frame: pd.DataFrame, ranges: Sequence[NumberRange], column: str = "number") -> list[pd.DataFrame]:
    """``frame``'s rows per range, by ``column`` (for tests: the database does this in SQL)."""
    return [frame[r.contains(frame[column])].reset_index(drop=True) for r in ranges]
