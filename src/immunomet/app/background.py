"""Work the app does off the page: each task runs in its own thread, reports progress, can be
cancelled between tasks of the run core, and ends with a result or one line of error.

A page keeps its own ``Task`` objects (one browser tab never sees another's), polls ``snapshot()``
and never waits on a thread. Studies run through the same job, sink and executor as
``immunomet run``, so their tables equal the CLI's for the same spec; a cancelled study leaves an
'interrupted' run folder that ``immunomet resume`` (or the Runs page) finishes.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import ImmunometError
from ..jobs import Cancelled, default_workers, executor_for, run_job
from ..store import RunFolderSink, resume
from ..studies import StudyJob

QUEUED, RUNNING, DONE, CANCELLED, FAILED = "queued", "running", "done", "cancelled", "failed"


@dataclass(frozen=True)
class Snapshot:
    """What a page shows of a task at one moment."""

    state: str
    done: int
    total: int
    message: str
    result: Any = None

    @property
    def finished(self) -> bool:
        return self.state in (DONE, CANCELLED, FAILED)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class Task:
    """``work(task)`` in a daemon thread; ``work`` calls ``task.progress(done, total)`` and checks
    ``task.cancel`` (a ``threading.Event``) or passes both to ``jobs.run_job``."""

    def __init__(self, label: str, work: Callable[["Task"], Any]):
        self.label, self.work = label, work
        self.cancel = threading.Event()
        self._lock = threading.Lock()
        self._state, self._done, self._total, self._message, self._result = QUEUED, 0, 0, "", None
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, name=f"immunomet-app {label}", daemon=True)

    def start(self) -> "Task":
        self.thread.start()
        return self

    def progress(self, done: int, total: int) -> None:
        with self._lock:
            self._done, self._total = int(done), int(total)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(self._state, self._done, self._total, self._message, self._result)

    def _finish(self, state: str, message: str, result: Any = None) -> None:
        with self._lock:
            self._state, self._message, self._result = state, message, result

    def _run(self) -> None:
        self._finish(RUNNING, "")
        try:
            result = self.work(self)
        except Cancelled as exc:
            kept = getattr(exc, "kept", None)
            self._finish(CANCELLED, "cancelled" + (f"; finished chunks kept in {kept.path}" if kept else ""))
        except ImmunometError as exc:
            self._finish(FAILED, str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug: one line on the page, the traceback on the server's stderr
            traceback.print_exc(file=sys.stderr)
            self._finish(FAILED, f"{type(exc).__name__}: {exc}".splitlines()[0])
        else:
            self._finish(DONE, f"finished in {time.monotonic() - self.started:.1f} s", result)


def _engine_guard():
    """Two tabs may simulate at once: numba's OpenMP and TBB threading layers allow parallel kernels
    from several threads, its fallback 'workqueue' layer does not, so there the runs take turns."""
    for layer in ("omppool", "tbbpool"):
        try:
            __import__(f"numba.np.ufunc.{layer}")
            return contextlib.nullcontext()
        except ImportError:
            continue
    return threading.Lock()


ENGINE_GUARD = _engine_guard()


def chunk_size_for(animals: int) -> int:
    """Animals per task in the app: about 20 tasks, so the progress bar moves and cancel is heard
    (results do not depend on the chunk size); 8 to 1000."""
    return int(min(1000, max(8, -(-animals // 20))))


def study_task(plan, root: str | Path) -> Task:
    """Run ``plan`` into a new run folder under ``root`` (as ``immunomet run``, plus ``figure.png``).
    The result is ``(StudyResult, RunFolder)``."""
    def work(task: Task):
        job = StudyJob(plan, chunk_size_for(plan.n_animals))
        workers = default_workers()
        sink = RunFolderSink.create(job, root, None, {"workers": workers, "scheduler": "local", "via": "app"})
        task.progress(0, plan.n_animals)
        with ENGINE_GUARD, executor_for(plan.engine, workers, "local") as executor:
            result = run_job(job, executor=executor, sink=sink, cancel=task.cancel, on_progress=task.progress)
        result.plot(sink.folder.path / "figure.png")
        return result, sink.folder

    return Task(f"study {plan.name}", work).start()


def report_task(run_path: str | Path) -> Task:
    """Findings, power and ``report.html`` of a finished study run; the result is the report's path."""
    def work(task: Task):
        from ..report import write_run_report
        from ..workflows import analyse_run

        return write_run_report(analyse_run(run_path, workers=default_workers()))

    return Task(f"report {run_path}", work).start()


def resume_task(run_path: str | Path) -> Task:
    """Finish an interrupted run (``immunomet resume``); the result is ``(result, RunFolder)``."""
    return Task(f"resume {run_path}", lambda task: resume(run_path, workers=default_workers(), progress=False)).start()


def mouse_task(model, protocol, seed: int) -> Task:
    """One virtual mouse (``immunomet simulate``); the result is its ``SimulationResult``."""
    def work(task: Task):
        from ..simulate import simulate

        with ENGINE_GUARD:
            return simulate(model, protocol, seed=seed)

    return Task("one mouse", work).start()
