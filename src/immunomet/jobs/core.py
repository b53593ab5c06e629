"""What a job is: a list of independent tasks and a function that turns a task into tables.

A task's tables depend only on the job and the task (every virtual animal has its own seed
streams), never on which worker ran it or when, so any executor and any sink give the same data.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import pyarrow as pa

Tables = dict[str, pa.Table]


@dataclass(frozen=True)
class Task:
    """One unit of a job: ``index`` orders the job's output (and names its part files), ``size``
    is the work it does in the job's unit (animals, patients, sets), ``key`` what the job needs."""

    index: int
    size: int
    key: tuple = ()


class Job(ABC):
    """A plan of independent tasks. Subclasses are immutable and picklable (they travel to worker
    processes and Dask workers)."""

    kind: ClassVar[str] = "job"     # registry name of a resumable job (``describe``)
    unit: ClassVar[str] = "task"    # what a task's size counts, for progress bars
    ticks: ClassVar[bool] = False   # True: run_task reports progress within a task through ``tick``

    @property
    @abstractmethod
    def name(self) -> str:
        """A short name for progress bars and run folders."""

    @abstractmethod
    def tasks(self) -> list[Task]:
        """Every task of the job, in output order."""

    @abstractmethod
    def run_task(self, task: Task, tick: Callable[[int], None] | None = None) -> Tables:
        """The task's tables (each a pyarrow Table, keyed by table name)."""

    @abstractmethod
    def schemas(self) -> dict[str, pa.Schema]:
        """The schema of every table the job writes (an empty job still has its tables)."""

    def check_size(self, allow_large: bool = False) -> None:
        """Raise a one-line SpecError before a job too large to be meant (e.g. 10^9 animals from a
        typo); ``allow_large`` lets a user who means it run it. The default accepts any job."""

    def describe(self) -> dict[str, Any] | None:
        """A JSON-able description from which ``store`` can rebuild the job (to resume it);
        None if the job cannot be resumed from a run folder."""
        return None

    def provenance(self) -> dict[str, Any]:
        """What to record once per run: model, parameters, seeds, versions."""
        return {}

    def finish(self, tables: dict) -> Any:
        """The result object of a finished job from its concatenated tables (pandas DataFrames)."""
        return tables
