"""Calibration and sensitivity: scenarios evaluated for many parameter sets, SALib indices."""
from .scenario import READOUTS, Scenario, evaluate
from .sensitivity import SensitivityResult, analyse, run_sensitivity, salib_problem, sample

__all__ = ["READOUTS", "Scenario", "SensitivityResult", "analyse", "evaluate", "run_sensitivity", "salib_problem",
           "sample"]
