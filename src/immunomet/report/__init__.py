"""Figures and self-contained HTML reports of result objects (rendering only)."""
from .html import build_report
from .run_report import write_run_report

__all__ = ["build_report", "write_run_report"]
