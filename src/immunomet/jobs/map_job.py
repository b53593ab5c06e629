"""``MapJob``: a function mapped over items, one task per item, for jobs whose tasks are whole
studies or chains (calibration screens and chains, robustness over parameter sets, prediction bands)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd
import pyarrow as pa

from .core import Job, Task, Tables


@dataclass(frozen=True, eq=False)
class MapJob(Job):
    """``function(item)`` (or ``function(item, tick)`` when ``reports_ticks``) for every item;
    each call returns a pandas DataFrame and the job's result is their concatenation in item
    order. ``function`` must be picklable (defined at module level) to run in worker processes."""

    label: str
    function: Callable[..., pd.DataFrame]
    items: tuple
    item_unit: str = "task"
    sizes: tuple[int, ...] | None = None  # work per item in ``item_unit`` (default 1)
    reports_ticks: bool = False

    @property
    def name(self) -> str:
        return self.label

    @property
    def unit(self) -> str:  # type: ignore[override]
        return self.item_unit

    @property
    def ticks(self) -> bool:  # type: ignore[override]
        return self.reports_ticks

    def tasks(self) -> list[Task]:
        sizes = self.sizes or (1,) * len(self.items)
        return [Task(i, sizes[i], (i,)) for i in range(len(self.items))]

    def run_task(self, task: Task, tick=None) -> Tables:
        item = self.items[task.key[0]]
        frame = self.function(item, tick) if self.reports_ticks else self.function(item)
        return {"rows": pa.Table.from_pandas(frame, preserve_index=False)}

    def schemas(self) -> dict[str, pa.Schema | None]:
        return {"rows": None}

    def finish(self, tables: dict) -> Any:
        return tables["rows"]
