"""Finished runs and their parts: the study of a run folder, the plan it was run with, its virtual
patient cohort (``RUN/patients``, a run of the built-in trial dfs_by_il6 for F8)."""
from __future__ import annotations

from pathlib import Path

from ..analysis.findings import holds_the_study
from ..analysis.power import default_comparisons, findings_comparisons
from ..errors import DataError
from ..simulate.cohort import resolve_engine
from ..store import RunFolder, execute, open_run
from ..studies import StudyJob, TrialJob, load_builtin_trial, plan_trial, run_trial

PATIENTS_DIR = "patients"


def load_run(path: str | Path):
    """(StudyResult, plan, folder) of a complete run folder of a study; one-line DataError otherwise."""
    job, result, folder = open_run(path)
    if not isinstance(job, StudyJob):
        raise DataError(f"run {str(path)!r} is a {job.kind} run, not a study; give a study's run folder")
    status = result.provenance.get("status")
    if status != "complete":
        raise DataError(f"run {str(path)!r} is {status}; finish it with 'immunomet resume {path}'")
    return result, job.plan, folder


def comparisons_for(plan):
    """The findings' comparisons when the run is a liver-colonisation study holding the study's
    arms, else each arm vs its part's first (a local tumour is read by volume, not nodules)."""
    local = any(a.protocol.injection.local for a in plan.arms)
    return findings_comparisons(plan) if holds_the_study(plan) and not local else default_comparisons(plan)


def default_power_pool(engine: str) -> int:
    """Animals per arm simulated for the power table: 40 on the batched engine, 16 on the scipy
    loop (about 10 mice/s on 2 cores). The report shows the pool; ``immunomet power --pool N``
    refines it."""
    return 40 if resolve_engine(engine) == "batch" else 16


def default_replication_pool(engine: str) -> int:
    """Animals per arm simulated to draw replicate experiments from (``analysis.replication``):
    400 on the batched engine (16 arms in about 10 s on 2 cores; a replicate of 8 draws 2% of an
    arm); 0 on the scipy loop (about 10 mice/s: 11 minutes), where it is skipped unless asked for."""
    return 400 if resolve_engine(engine) == "batch" else 0


def default_patient_pool(engine: str) -> int:
    """Virtual patients simulated to draw F8's replicate cohorts from: 2,000 on the batched
    engine (4 design cohorts, about 5 s), none on the scipy loop."""
    return 2000 if resolve_engine(engine) == "batch" else 0


def default_patient_cohort(engine: str) -> int:
    """Patients in the F8 cohort of ``reproduce``: the built-in 500 on the batched engine; 200 on
    the scipy loop (about 0.45 s a patient), where F8 still passed for 20 of 20 seeds
    (benchmarks/patients.py)."""
    return 500 if resolve_engine(engine) == "batch" else 200


def _cohort_plan(engine: str):
    spec = load_builtin_trial("dfs_by_il6")
    spec = spec.model_copy(update={"patients_per_arm": min(spec.patients_per_arm, default_patient_cohort(engine))})
    return plan_trial(spec, engine=engine)


def patient_cohort(*, engine: str = "auto", workers: int = 1, progress: bool = False):
    """(TrialResult, TrialPlan) of the built-in untreated patient cohort (F8), sized for the engine, in memory."""
    plan = _cohort_plan(engine)
    return run_trial(plan, workers=workers, progress=progress), plan


def run_patient_cohort(folder: RunFolder, *, engine: str = "auto", workers: int = 1, progress: bool = False):
    """Run the built-in untreated patient cohort (F8) into ``RUN/patients`` (a run folder of its own)."""
    plan = _cohort_plan(engine)
    result, _ = execute(TrialJob(plan), plan.engine, out=folder.path / PATIENTS_DIR, workers=workers,
                        progress=progress, catalog=False)
    return result, plan


def load_patient_cohort(folder: RunFolder):
    """(TrialResult, TrialPlan) of the run's patient cohort, or (None, None) if it has none."""
    where = folder.path / PATIENTS_DIR
    if not (where / "job.json").is_file():
        return None, None
    job, result, _ = open_run(where)
    if result.provenance.get("status") != "complete":
        raise DataError(f"{where}: the patient cohort is {result.provenance.get('status')}; finish it with "
                        f"'immunomet resume {where}'")
    return result, job.plan
