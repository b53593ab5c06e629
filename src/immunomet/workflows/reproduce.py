"""``reproduce``: the built-in study on virtual mice, an untreated virtual patient cohort, the
findings F1-F9 and the power table, all in one run folder."""
from __future__ import annotations

from pathlib import Path

from ..store import execute_study
from ..studies import StudySpec, plan_study
from .analysis import RunAnalysis, analyse_run, replication_of_run
from .runs import run_patient_cohort


def reproduce(spec: StudySpec, *, engine: str = "auto", animals: int | None = None, seed: int | None = None,
              workers: int = 1, chunk_size: int = 0, root: str | Path = "runs", out: str | Path | None = None,
              scheduler: str = "local", progress: bool = False, allow_large: bool = False) -> RunAnalysis:
    """Run ``spec`` (the built-in toyoshima2019 by default in the CLI) into a run folder, then the
    patient cohort into ``RUN/patients``, then the replication probability of each finding (pools
    of the engine's default size; none on the scipy loop), then analyse the run (findings, power)."""
    plan = plan_study(spec).with_engine(engine)
    if animals is not None:
        plan = plan.with_animals(animals)
    if seed is not None:
        plan = plan.with_seed(seed)
    _, folder = execute_study(plan, root=root, out=out, workers=workers, chunk_size=chunk_size, progress=progress,
                              scheduler=scheduler, allow_large=allow_large)
    run_patient_cohort(folder, engine=engine, workers=workers, progress=progress)
    replication_of_run(folder.path, workers=workers, progress=progress)
    return analyse_run(folder.path, workers=workers, progress=progress)
