"""``run_job``: every task of a job, on an executor, into a sink, with one progress bar.

At most ``max_pending`` tasks are in flight at once, so memory stays flat however large the job;
finished tasks go to the sink as they complete (any order: the sink orders them by task index).
Tasks the sink already holds are skipped (resume). A task that raises stops the run: the bug is
reported, not recorded as data; the sink is closed as ``failed`` (or ``interrupted`` on Ctrl-C).
"""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any

from .core import Job, Task
from .executors import InlineExecutor
from .sinks import MemorySink, Sink


class Cancelled(KeyboardInterrupt):
    """The run was cancelled through ``run_job(..., cancel=event)``; its finished tasks are kept."""


def run_job(job: Job, *, executor: Executor | None = None, sink: Sink | None = None, progress: bool = False,
            max_pending: int | None = None, allow_large: bool = False, cancel=None, on_progress=None) -> Any:
    """Run ``job``'s unfinished tasks on ``executor`` (default: inline) into ``sink`` (default:
    memory) and return ``sink.result()``. A job too large to be meant is refused unless
    ``allow_large`` (``Job.check_size``). ``cancel`` (a ``threading.Event``) stops the run between
    tasks (raising ``Cancelled``; the sink is closed as interrupted); ``on_progress(done, total)``
    is called after each task (e.g. by a web page's progress bar)."""
    from tqdm.auto import tqdm

    job.check_size(allow_large)
    executor = executor or InlineExecutor()
    sink = sink or MemorySink(job)
    tasks = job.tasks()
    done = sink.done()
    todo = [t for t in tasks if t.index not in done]
    total = sum(t.size for t in tasks)
    bar = tqdm(total=total, initial=total - sum(t.size for t in todo), unit=job.unit, desc=job.name,
               disable=not progress, dynamic_ncols=True, leave=progress)
    limit = max_pending or max(2, 2 * getattr(executor, "_max_workers", 1))
    status = "failed"
    try:
        with _ticker(job, executor, bar if progress else None) as tick:
            _drain(job, executor, _Watched(sink, cancel, on_progress, total, total - sum(t.size for t in todo)),
                   todo, limit, tick, bar)
        status = "complete"
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM through the CLI's handler
        status = "interrupted"
        exc.kept = getattr(sink, "folder", None)  # where the finished tasks are, for the message
        raise
    finally:
        bar.close()
        sink.close(status)
    return sink.result()


def _drain(job: Job, executor: Executor, sink: Sink, todo: list[Task], limit: int, tick, bar) -> None:
    pending: dict = {}
    count = tick is None  # without ticks from inside tasks, the bar moves as tasks finish
    try:
        for task in todo:
            pending[executor.submit(job.run_task, task, tick)] = task
            while len(pending) >= limit:
                _collect(pending, sink, bar if count else None)
        while pending:
            _collect(pending, sink, bar if count else None)
    finally:
        for future in pending:
            future.cancel()


def _collect(pending: dict, sink: Sink, bar) -> None:
    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    for future in sorted(finished, key=lambda f: pending[f].index):
        task = pending.pop(future)
        sink.write(task, future.result())
        if bar is not None:
            bar.update(task.size)


class _Watched:
    """The sink as the runner writes to it: checks for cancellation and reports progress per task."""

    def __init__(self, sink: Sink, cancel, on_progress, total: int, done: int):
        self.sink, self.cancel, self.on_progress, self.total, self.done = sink, cancel, on_progress, total, done

    def write(self, task: Task, tables) -> None:
        self.sink.write(task, tables)
        self.done += task.size
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled()


class _ticker:
    """The ``tick`` a task reports progress through: the bar itself in this process, a manager
    queue drained by a thread here for worker processes, None where progress is off."""

    def __init__(self, job: Job, executor: Executor, bar):
        self.job, self.executor, self.bar = job, executor, bar
        self.manager = self.thread = None

    def __enter__(self):
        if not (self.job.ticks and self.bar is not None):
            return None
        if isinstance(self.executor, (InlineExecutor, ThreadPoolExecutor)):
            return _BarTick(self.bar)
        if not isinstance(self.executor, ProcessPoolExecutor):
            return None  # e.g. Dask workers: the bar moves as tasks finish
        import threading
        from multiprocessing import get_context

        self.manager = get_context("spawn").Manager()
        queue = self.manager.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._follow, args=(queue,), daemon=True)
        self.thread.start()
        return _QueueTick(queue)

    def _follow(self, queue) -> None:
        from queue import Empty

        while not self.stop.is_set() or not queue.empty():
            try:
                self.bar.update(queue.get(timeout=0.2))
            except (Empty, EOFError, OSError):
                pass

    def __exit__(self, *exc) -> None:
        if self.thread is not None:
            self.stop.set()
            self.thread.join()
            self.manager.shutdown()


class _BarTick:
    def __init__(self, bar):
        self.bar = bar

    def __call__(self, n: int = 1) -> None:
        self.bar.update(n)


class _QueueTick:
    def __init__(self, queue):
        self.queue = queue

    def __call__(self, n: int = 1) -> None:
        self.queue.put(n)
