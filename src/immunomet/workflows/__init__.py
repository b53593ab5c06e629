"""Workflows: jobs composed into what a command does. ``reproduce`` = the built-in mouse study +
an untreated virtual patient cohort + the findings + power, each run stored in one run folder;
``analyse_run`` = findings and power of a finished run. They return result objects; ``report``
renders them and ``cli`` prints them."""
from .analysis import RunAnalysis, analyse_run, check_study_findings
from .reproduce import reproduce
from .runs import comparisons_for, load_run, patient_cohort, run_patient_cohort

__all__ = ["RunAnalysis", "analyse_run", "check_study_findings", "comparisons_for", "load_run", "patient_cohort",
           "reproduce", "run_patient_cohort"]
