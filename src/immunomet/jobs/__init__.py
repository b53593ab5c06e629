"""The run core: every many-animal job (studies, patient cohorts, power pools, sensitivity,
calibration, optimisation, prediction bands) is a ``Job`` (tasks + a task function) run by
``run_job`` on an executor (inline, threads, processes or Dask, one interface) into a sink
(memory, or a run folder from ``store``), with one progress bar, resume and provenance."""
from .core import Job, Task, Tables
from .executors import EXECUTORS, InlineExecutor, default_workers, executor_for, make_executor
from .map_job import MapJob
from .runner import Cancelled, run_job
from .sinks import MemorySink, Sink

__all__ = ["Cancelled", "EXECUTORS", "InlineExecutor", "Job", "MapJob", "MemorySink", "Sink", "Task", "Tables", "default_workers",
           "executor_for", "make_executor", "run_job"]
