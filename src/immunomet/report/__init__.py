"""Figures and the self-contained HTML report of a run."""
from .html import build_report
from .run_report import analyse_and_report, load_run

__all__ = ["analyse_and_report", "build_report", "load_run"]
