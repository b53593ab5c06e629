"""Findings and power of a finished study run, kept beside its tables (``RUN/analysis``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..analysis.dfs import published_cohorts
from ..analysis.findings import check_findings, findings_table
from ..analysis.power import power_analysis
from ..store import RunFolder
from .runs import comparisons_for, default_power_pool, load_patient_cohort, load_run


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
    return RunAnalysis(result, plan, folder, findings, power, cohort, cohort_plan, published)
