"""Analyse a finished run folder: findings checklist, power table, HTML report, all saved beside
the run's tables (``RUN/analysis/findings.csv``, ``RUN/analysis/power.csv``, ``RUN/report.html``).
A run of the built-in study also holds an untreated virtual patient cohort (``RUN/patients``) for F8."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..analysis.findings import check_findings, findings_table, holds_the_study
from ..analysis.power import default_comparisons, findings_comparisons, power_analysis
from ..errors import DataError
from ..store import RunFolder
from ..studies import TrialResult, load_builtin_trial, parse_trial, plan_study, plan_trial, run_trial
from .html import build_report
from .patients_html import patients_section, published_table


def run_plan(folder: RunFolder):
    """The plan a run folder was made with (seed and animals as recorded in its provenance)."""
    prov = folder.read_provenance()
    plan = plan_study(folder.read_study())
    if prov.get("seed") is not None:
        plan = plan.with_seed(int(prov["seed"]))
    per_arm = prov.get("animals_per_arm", {})
    arms = tuple(replace(a, animals=int(per_arm.get(a.name, a.animals))) for a in plan.arms)
    return replace(plan, arms=arms).with_engine(prov.get("engine", plan.engine))


def load_run(path: str | Path):
    """(StudyResult, plan, folder) of a complete run folder; one-line DataError otherwise."""
    folder = RunFolder(path)
    if not (folder.path / "provenance.json").is_file():
        raise DataError(f"{str(path)!r} is not a run folder (no provenance.json); give a folder under runs/")
    result = folder.load_result()
    if result.provenance.get("status") not in (None, "complete"):
        raise DataError(f"run {str(path)!r} is {result.provenance.get('status')}; finish it with 'immunomet resume'")
    return result, run_plan(folder), folder


def comparisons_for(plan):
    """The findings' comparisons when the run is a liver-colonisation study holding the study's
    arms, else each arm vs its part's first (a local tumour is read by volume, not nodules)."""
    local = any(a.protocol.injection.local for a in plan.arms)
    return findings_comparisons(plan) if holds_the_study(plan) and not local else default_comparisons(plan)


def default_power_pool(engine: str) -> int:
    """Animals per arm simulated for the power table: 40 on the batched engine (seconds), 16 on
    the scipy loop (about 10 mice/s on 2 cores), so that ``reproduce`` stays near a minute on a
    core install. The report shows the pool; ``immunomet power --pool N`` refines it."""
    from ..simulate.cohort import resolve_engine

    return 40 if resolve_engine(engine) == "batch" else 16


PATIENTS_DIR = "patients"


def default_patient_cohort(engine: str) -> int:
    """Patients in the F8 cohort of ``reproduce``: the built-in 500 on the batched engine (2-3 s);
    200 on the scipy loop (about 0.45 s a patient), where F8 still passed for 20 of 20 seeds
    (benchmarks/patients.py)."""
    from ..simulate.cohort import resolve_engine

    return 500 if resolve_engine(engine) == "batch" else 200


def patient_cohort(*, engine: str = "auto", workers: int = 1, progress: bool = False):
    """(TrialResult, TrialPlan) of the built-in untreated patient cohort (F8), sized for the engine."""
    spec = load_builtin_trial("dfs_by_il6")
    spec = spec.model_copy(update={"patients_per_arm": min(spec.patients_per_arm, default_patient_cohort(engine))})
    plan = plan_trial(spec, engine=engine)
    return run_trial(plan, workers=workers, progress=progress), plan


def run_patient_cohort(folder: RunFolder, *, engine: str = "auto", workers: int = 1, progress: bool = False):
    """Run the built-in untreated patient cohort (F8) and keep it in ``RUN/patients``."""
    result, plan = patient_cohort(engine=engine, workers=workers, progress=progress)
    result.save(folder.path / PATIENTS_DIR)
    return result, plan


def load_patient_cohort(folder: RunFolder):
    """(TrialResult, TrialPlan) of the run's patient cohort, or (None, None) if it has none."""
    where = folder.path / PATIENTS_DIR
    if not (where / "patients.parquet").is_file():
        return None, None
    result = TrialResult.load(where)
    return result, plan_trial(parse_trial(result.provenance["spec"], str(where)), engine=result.provenance["engine"])


def analyse_and_report(path: str | Path, *, power_pool: int | None = None, power_reps: int = 200, workers: int = 1,
                       progress: bool = False) -> tuple[Path, list, pd.DataFrame]:
    """Findings, power and the report of the run at ``path``; returns (report path, findings, power).
    ``power_pool`` None: ``default_power_pool`` of the run's engine."""
    result, plan, folder = load_run(path)
    cohort, cohort_plan = load_patient_cohort(folder)
    findings = check_findings(result, plan, patients=None if cohort is None else cohort.patients)
    out = folder.path / "analysis"
    out.mkdir(exist_ok=True)
    findings_table(findings).to_csv(out / "findings.csv", index=False)
    patients_html = None
    if cohort is not None:
        published = published_table(cohort.patients, cohort_plan)
        published.to_csv(out / "published_cohorts.csv", index=False)
        patients_html = patients_section(cohort.patients, cohort_plan, published)
    power_file = out / "power.csv"
    if power_file.is_file():
        power = pd.read_csv(power_file)
    else:
        pool = power_pool or default_power_pool(plan.engine)
        power = power_analysis(plan, comparisons_for(plan), pool=pool, reps=power_reps, workers=workers,
                               progress=progress)
        power.to_csv(power_file, index=False)
    report = build_report(result, plan, findings, power, folder.path / "report.html", patients_html)
    return report, findings, power
