"""Sinks: where a job's tables go. ``MemorySink`` keeps them and concatenates them in task order;
``store.RunFolderSink`` writes each task's tables to a run folder as it arrives (resumable)."""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from .core import Job, Task, Tables


class Sink:
    """Receives each finished task's tables; knows which tasks are already done (resume)."""

    def done(self) -> set[int]:
        return set()

    def write(self, task: Task, tables: Tables) -> None:
        raise NotImplementedError

    def close(self, status: str) -> None:
        """Called once when the run ends: ``complete``, ``interrupted`` or ``failed``."""

    def result(self) -> Any:
        raise NotImplementedError


class MemorySink(Sink):
    """Keeps every task's tables; ``result()`` is the job's result object from them, in task order."""

    def __init__(self, job: Job):
        self.job = job
        self.parts: dict[int, Tables] = {}

    def write(self, task: Task, tables: Tables) -> None:
        self.parts[task.index] = tables

    def tables(self) -> dict[str, pa.Table]:
        return concat_parts(self.job.schemas(), [self.parts[i] for i in sorted(self.parts)])

    def result(self) -> Any:
        return self.job.finish({name: table.to_pandas() for name, table in self.tables().items()})


def concat_parts(schemas: dict[str, pa.Schema | None], parts: list[Tables]) -> dict[str, pa.Table]:
    """Each table's parts, concatenated in the given order (an empty table if there are none; a
    table whose schema is None takes the schema of its parts)."""
    out = {}
    for name, schema in schemas.items():
        pieces = [p[name] for p in parts if name in p and p[name].num_rows]
        if pieces:
            out[name] = pa.concat_tables(pieces, promote_options="default")
        else:
            out[name] = schema.empty_table() if schema is not None else pa.table({})
    return out
