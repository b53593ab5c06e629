"""Executors: where tasks run. One interface, ``concurrent.futures.Executor``:

- ``inline``: in this thread, one after another (the batched engine threads over a task's
  animals itself, so this is its executor for one worker);
- ``threads``: a thread pool (for work that releases the GIL). The batched engine's executor for
  several workers: each pool thread gets its share of the cores for the compiled kernels
  (``simulate.cores.pin_threads``), so one task integrates (GIL released) while another computes
  its readouts and writes its tables, and no core waits on Python;
- ``processes``: worker processes started fresh (``spawn``: a forked child of a process that
  already ran numba's threads can abort), for the scipy engine;
- ``dask``: a Dask cluster's workers (``Client(address).get_executor()``, the ``dist`` extra).
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Iterator

from ..errors import ImmunometError, SpecError

EXECUTORS = ("inline", "threads", "processes", "dask")


class InlineExecutor(Executor):
    """Runs each submitted call at once in the calling thread; its future is already done."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the runner re-raises it where the result is read
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            future.set_exception(exc)
        return future


def die_with_parent() -> None:
    """In a worker process: ask Linux to kill this process when its parent dies (even by SIGKILL),
    so no worker outlives the run it works for. Elsewhere a no-op."""
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover - a libc without prctl
            pass


def default_workers() -> int:
    """The cores this process may use, at most 8."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, 8))


@contextmanager
def make_executor(kind: str = "inline", workers: int | None = None, address: str | None = None) -> Iterator[Executor]:
    """An executor of ``kind`` with ``workers`` workers (default: the machine's cores); ``dask``
    needs the scheduler ``address`` (tcp://HOST:PORT). Shut down (pending tasks cancelled) on exit.
    A ``threads`` pool's threads each run compiled kernels on cores / workers threads."""
    workers = workers or default_workers()
    if kind == "inline":
        yield InlineExecutor()
    elif kind == "threads":
        from ..simulate.cores import default_threads, pin_threads

        share = max(1, default_threads() // workers)
        with ThreadPoolExecutor(max_workers=workers, initializer=pin_threads, initargs=(share,)) as pool:
            yield pool
    elif kind == "processes":
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=die_with_parent)
        try:
            yield pool
        except BaseException:  # interrupted or failed: stop the workers now, not after their running tasks
            pool.shutdown(wait=False, cancel_futures=True)
            for child in multiprocessing.active_children():
                child.kill()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    elif kind == "dask":
        with _dask_client(address) as client:
            yield client.get_executor(pure=False)
    else:
        raise SpecError(f"executor {kind!r} unknown; use one of {', '.join(EXECUTORS)}")


@contextmanager
def _dask_client(address: str | None):
    try:
        from distributed import Client
    except ImportError:
        raise ImmunometError("--scheduler tcp://...: needs Dask: pip install 'immunomet[dist]'") from None
    if not address:
        raise SpecError("the dask executor needs a scheduler address, e.g. tcp://HOST:8786")
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ImmunometError(f"--scheduler {address}: cannot reach a Dask scheduler there ({exc})") from None
    try:
        yield client
    finally:
        client.close()


def executor_for(engine: str, workers: int | None = None, scheduler: str = "local"):
    """The executor a job on ``engine`` should use: Dask at ``scheduler`` (tcp://...) if given;
    inline for one worker; for more, a thread pool for the batched engine (its kernels release
    the GIL; ``benchmarks/run_throughput.py`` measures the gain) and worker processes for the
    scipy engine."""
    if scheduler != "local":
        return make_executor("dask", workers, scheduler)
    if (workers or 1) <= 1:
        return make_executor("inline")
    return make_executor("threads" if engine == "batch" else "processes", workers)
