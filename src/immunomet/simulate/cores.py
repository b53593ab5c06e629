"""How many threads a compiled kernel may use when it is called from this thread.

The batched engine and the Kendall kernel spread their animals over the machine's cores. When a
job runs several tasks side by side in a thread pool (``jobs.executor_for``: one task integrates
while another computes readouts and writes Parquet), each pool thread gets a share of the cores
instead: ``pin_threads`` is the pool's thread initializer. An animal's answer is the same whatever
the thread count.
"""
from __future__ import annotations

import os
import threading

_LOCAL = threading.local()


def default_threads() -> int:
    """$IMMUNOMET_THREADS, else the cores this process may run on."""
    if os.environ.get("IMMUNOMET_THREADS"):
        return max(1, int(os.environ["IMMUNOMET_THREADS"]))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def pin_threads(threads: int) -> None:
    """Kernels called from this thread use ``threads`` threads from now on (a pool thread's share)."""
    _LOCAL.threads = max(1, int(threads))


def threads_here() -> int:
    """The threads a kernel called from this thread may use: its pinned share, else every core."""
    return getattr(_LOCAL, "threads", None) or default_threads()


def pinned() -> bool:
    """Whether this thread is one of a pool's (``pin_threads``): then it must not start numba's
    own parallel kernels, which are not safe to enter from several threads at once under every
    numba threading layer (workqueue aborts the process)."""
    return getattr(_LOCAL, "threads", None) is not None
