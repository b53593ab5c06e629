"""Run a study in memory and return a StudyResult (``store.execute_study`` streams to a run folder)."""
from __future__ import annotations

from ..jobs import executor_for, run_job
from .job import StudyJob
from .plan import StudyPlan
from .result import StudyResult


def run_study(plan: StudyPlan, *, workers: int = 1, chunk_size: int = 0, progress: bool = False,
              scheduler: str = "local", allow_large: bool = False) -> StudyResult:
    """Simulate every animal of ``plan``; identical results for any ``workers``, ``chunk_size``
    (0: the engine's default) and ``scheduler`` ("local", or a Dask scheduler "tcp://HOST:PORT").
    More than 10^7 animals are refused unless ``allow_large``."""
    job = StudyJob(plan, chunk_size)
    job.check_size(allow_large)
    with executor_for(plan.engine, workers, scheduler) as executor:
        result = run_job(job, executor=executor, progress=progress, allow_large=allow_large)
    result.provenance |= {"workers": workers, "scheduler": scheduler}
    return result
