"""The report of an analysed run (``workflows.RunAnalysis``): rendering only, no simulation."""
from __future__ import annotations

from pathlib import Path

from .html import build_report
from .patients_html import patients_section


def write_run_report(analysis, path: str | Path | None = None) -> Path:
    """Write ``RUN/report.html`` (or ``path``) for ``analysis``: findings, survival, nodules, flow,
    time courses, the patient cohort beside the published ones, power, provenance."""
    patients_html = None
    if analysis.cohort is not None:
        patients_html = patients_section(analysis.cohort.patients, analysis.cohort_plan, analysis.published)
    return build_report(analysis.result, analysis.plan, analysis.findings, analysis.power,
                        path or analysis.path / "report.html", patients_html,
                        replication=getattr(analysis, "replication", None))
