"""Calibration and sensitivity: scenarios evaluated for many parameter sets, SALib indices,
plausible populations (parameter sets for which the findings hold) and fits to own data."""
from .fitter import Fitter, synthetic_measurements
from .over_population import bands, prediction_bands, robustness, robustness_summary
from .own_data import OwnDataProblem, lint, load_problem
from .plausible import ChainSettings, PlausibilityCheck, calibrate, calibrated_parameters
from .population import PlausiblePopulation
from .scenario import READOUTS, Scenario, evaluate
from .sensitivity import SensitivityResult, analyse, run_sensitivity, salib_problem, sample

__all__ = ["READOUTS", "ChainSettings", "Fitter", "OwnDataProblem", "PlausibilityCheck", "PlausiblePopulation",
           "Scenario", "SensitivityResult", "analyse", "bands", "calibrate", "calibrated_parameters", "evaluate",
           "lint", "load_problem", "prediction_bands", "robustness", "robustness_summary", "run_sensitivity",
           "salib_problem", "sample", "synthetic_measurements"]
