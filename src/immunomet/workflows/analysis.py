"""Findings and power of a finished study run, kept beside its tables (``RUN/analysis``)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..analysis.dfs import published_cohorts
from ..analysis.findings import check_findings, findings_table
from ..analysis.power import power_analysis
from ..analysis.replication import Replication, replication_probability
from ..store import RunFolder
from .runs import (comparisons_for, default_patient_pool, default_power_pool, default_replication_pool,
                   load_patient_cohort, load_run)


@dataclass
class RunAnalysis:
    """A study run and what was concluded from it: findings, power, the patient cohort (if any)
    beside the published cohorts. ``report.write_run_report`` renders it."""

    result: object            # StudyResult
    plan: object              # StudyPlan
    folder: RunFolder
    findings: list
    power: pd.DataFrame
    cohort: object | None = None          # TrialResult of the untreated patient cohort
    cohort_plan: object | None = None
    published: pd.DataFrame | None = None
    replication: Replication | None = None  # if the run has one (RUN/analysis/replication*.csv)

    @property
    def path(self) -> Path:
        return self.folder.path


def check_study_findings(result, plan, cohort=None):
    """The findings checklist on a study result and, if given, a patient cohort (TrialResult)."""
    return check_findings(result, plan, patients=None if cohort is None else cohort.patients)


def analyse_run(path: str | Path, *, power_pool: int | None = None, power_reps: int = 200, workers: int = 1,
                progress: bool = False) -> RunAnalysis:
    """Findings, power and the published-cohort comparison of the run at ``path``, also written to
    ``RUN/analysis`` (findings.csv, power.csv, published_cohorts.csv); the power table is reused
    when the run already has one. ``power_pool`` None: ``default_power_pool`` of the run's engine."""
    result, plan, folder = load_run(path)
    cohort, cohort_plan = load_patient_cohort(folder)
    findings = check_study_findings(result, plan, cohort)
    out = folder.path / "analysis"
    out.mkdir(exist_ok=True)
    findings_table(findings).to_csv(out / "findings.csv", index=False)
    published = None
    if cohort is not None:
        published = published_cohorts(cohort.patients, cohort_plan)
        published.to_csv(out / "published_cohorts.csv", index=False)
    power_file = out / "power.csv"
    if power_file.is_file():
        power = pd.read_csv(power_file)
    else:
        pool = power_pool or default_power_pool(plan.engine)
        power = power_analysis(plan, comparisons_for(plan), pool=pool, reps=power_reps, workers=workers,
                               progress=progress)
        power.to_csv(power_file, index=False)
    return RunAnalysis(result, plan, folder, findings, power, cohort, cohort_plan, published, load_replication(out))


def load_replication(folder: Path) -> Replication | None:
    """The replication tables ``replication_of_run`` wrote into ``folder`` (RUN/analysis), or None."""
    names = ("replication.csv", "replication_criteria.csv", "replication_needs.csv", "replication.json")
    if not all((folder / n).is_file() for n in names):
        return None
    meta = json.loads((folder / "replication.json").read_text())
    table, criteria, needs = (pd.read_csv(folder / n) for n in names[:3])
    return Replication(table, criteria, needs, int(meta["pool"]), int(meta["reps"]), seconds=float(meta["seconds"]))


def run_replication(plan, cohort_plan=None, *, sizes=(), pool: int | None = None, reps: int = 400,
                    patients_pool: int | None = None, workers: int = 1, progress: bool = False) -> Replication | None:
    """The replication probability of the findings at ``plan``'s design (and at ``sizes``), F8
    from ``cohort_plan`` (the patient cohort's TrialPlan) if given. Pools default to the engine's
    (``default_replication_pool``); None when that is 0 (the scipy loop) and no ``pool`` is given.
    Not part of ``analyse_run``: it simulates 400 mice per arm (about 15 s on the batched engine),
    more than the report should spend unasked; ``replication_of_run`` keeps its tables in a run."""
    pool = pool or default_replication_pool(plan.engine)
    if not pool:
        return None
    patients = default_patient_pool(plan.engine) if patients_pool is None else patients_pool
    return replication_probability(plan, sizes=sizes, pool=pool, reps=reps, trial=cohort_plan,
                                   patients_pool=patients if cohort_plan is not None else 0, workers=workers,
                                   progress=progress)


def replication_of_run(path: str | Path, *, sizes=(), pool: int | None = None, reps: int = 400, workers: int = 1,
                       progress: bool = False) -> Replication | None:
    """``run_replication`` for the run at ``path``, its tables written to ``RUN/analysis``
    (replication.csv, replication_criteria.csv, replication_needs.csv)."""
    result, plan, folder = load_run(path)
    _, cohort_plan = load_patient_cohort(folder)
    rep = run_replication(plan, cohort_plan, sizes=sizes, pool=pool, reps=reps, workers=workers, progress=progress)
    if rep is not None:
        out = folder.path / "analysis"
        out.mkdir(exist_ok=True)
        rep.table.to_csv(out / "replication.csv", index=False)
        rep.criteria.to_csv(out / "replication_criteria.csv", index=False)
        rep.needs.to_csv(out / "replication_needs.csv", index=False)
        (out / "replication.json").write_text(json.dumps({"pool": rep.pool, "reps": rep.reps, "seconds": rep.seconds}))
    return rep


def replication_over_posterior(plan, sets: list[dict], *, sizes=(), pool: int = 200, reps: int = 200,
                               workers: int | None = None, progress: bool = False) -> pd.DataFrame:
    """Per finding, over posterior draws ``sets`` (dicts of parameter values): the median replication
    probability at the design and at each n of ``sizes`` (every arm n animals; each set's pool holds
    at least twice the largest n), its 5-95% range over the draws and the share of draws reaching 0.8."""
    from ..analysis.replication import population_summary, replication_over_sets
    from ..jobs import default_workers

    del progress  # one pool per set; the per-set work is short
    table = replication_over_sets(plan, sets, sizes=(None, *sizes), pool=max(pool, 2 * max(sizes, default=0)), reps=reps,
                                  workers=workers or default_workers())
    return population_summary(table)
