"""``RunFolderSink``: a job's tables written to a run folder task by task, with provenance and the catalog."""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import pyarrow.compute as pc

from ..jobs import Job, Sink, Task
from ..provenance import utc_now
from .catalog import Catalog
from .run_folder import RunFolder


class RunFolderSink(Sink):
    """Writes each finished task of ``job`` into ``folder`` (atomic parts, then a manifest line) and
    keeps ``provenance.json`` and the catalog of the folder's root up to date."""

    def __init__(self, job: Job, folder: RunFolder, provenance: dict, catalog: bool = True):
        self.job, self.folder, self.provenance = job, folder, provenance
        self.catalog = Catalog(folder.path.parent) if catalog else None
        self.started = time.perf_counter()

    @classmethod
    def create(cls, job: Job, root: str | Path = "runs", out: str | Path | None = None,
               extra: dict | None = None, catalog: bool = True) -> "RunFolderSink":
        """A new run folder for ``job`` (``out``, or ROOT/NAME-TIMESTAMP), recorded as running."""
        description = job.describe()
        folder = RunFolder.create(job.name, root, out)
        folder.write_job(description)
        spec = description.get("spec") if description else None
        if isinstance(spec, dict):
            folder.write_spec(spec, f"{description['kind']}.yaml")
        size = sum(t.size for t in job.tasks())
        provenance = {"name": job.name, "kind": job.kind, **job.provenance(), **(extra or {}),
                      "run_id": folder.run_id, "individuals": size, "unit": job.unit, "status": "running",
                      "created": utc_now(), "failed": 0, "wall_seconds": 0.0, **_process()}
        folder.write_provenance(provenance | {"indexed": catalog})
        sink = cls(job, folder, provenance | {"indexed": catalog}, catalog)
        if sink.catalog is not None:
            sink.catalog.record(folder)
        return sink

    @classmethod
    def reopen(cls, job: Job, folder: RunFolder) -> "RunFolderSink":
        """The sink of an interrupted run in ``folder`` (its provenance and finished tasks kept)."""
        provenance = folder.read_provenance() | {"status": "running", **_process()}
        folder.write_provenance(provenance)
        return cls(job, folder, provenance, bool(provenance.get("indexed", True)))

    def done(self) -> set[int]:
        return self.folder.completed_tasks()

    def write(self, task: Task, tables) -> None:
        failed = sum(pc.sum(pc.not_equal(t["status"], "success")).as_py() or 0
                     for t in tables.values() if "status" in t.column_names)
        self.folder.write_task(task.index, tables, {"failed": int(failed)})

    def close(self, status: str) -> None:
        """Record how the run ended; the catalog is best effort (the folder is the record), so an
        interrupt or a busy catalog during this never loses the status."""
        wall = time.perf_counter() - self.started + float(self.provenance.get("wall_seconds") or 0.0)
        failed = sum(int(e.get("failed", 0)) for e in self.folder.manifest().values())
        self.provenance |= {"status": status, "finished": utc_now(), "wall_seconds": round(wall, 2), "failed": failed}
        self.folder.write_provenance(self.provenance)
        if self.catalog is not None:
            try:
                self.catalog.record(self.folder)
            except (KeyboardInterrupt, Exception) as exc:  # noqa: BLE001 - 'immunomet runs --rebuild' re-indexes
                warnings.warn(f"catalog not updated ({type(exc).__name__}); 'immunomet runs --rebuild' re-indexes "
                              "the run folders", stacklevel=2)

    def result(self):
        return load_result(self.job, self.folder, lazy=True)


def load_result(job: Job, folder: RunFolder, *, lazy: bool = False):
    """The job's result object from the finished tasks in ``folder``, with the run's provenance.
    ``lazy``: a table the result does not use at once is read when first asked for (the run that
    has just written the folder returns without loading what nobody looks at)."""
    tables = folder.lazy_pandas(job.schemas()) if lazy else folder.read_pandas(job.schemas())
    result = job.finish(tables)
    if hasattr(result, "provenance"):
        result.provenance = folder.read_provenance()
    return result


def _process() -> dict:
    """Who writes the run: a 'running' run whose process is gone was killed (``Catalog`` says so)."""
    import os
    import socket

    return {"host": socket.gethostname(), "pid": os.getpid()}
