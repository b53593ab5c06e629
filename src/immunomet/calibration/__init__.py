"""Calibration and sensitivity: the mouse model's posterior against published magnitudes and the
findings (targets, objective, estimability, emcee sampling), scenarios evaluated for many parameter
sets, SALib indices, studies over posterior draws, and fits to own data."""
from .fitter import Fitter, synthetic_measurements
from .identifiability import Estimability, candidate_parameters, rank_estimability, sensitivity_matrix
from .objective import CalibrationProblem
from .over_population import bands, prediction_bands
from .own_data import OwnDataProblem, lint, load_problem
from .posterior import PosteriorSample, SamplerSettings, sample_posterior
from .run import CalibrationResult, CalibrationSettings, calibrate_model, calibration_problem
from .scenario import READOUTS, Scenario, evaluate
from .sensitivity import SensitivityResult, analyse, run_sensitivity, salib_problem, sample
from .targets import Quantity, Target, calibration_targets

__all__ = ["READOUTS", "CalibrationProblem", "CalibrationResult", "CalibrationSettings", "Estimability", "Fitter",
           "OwnDataProblem", "PosteriorSample", "Quantity", "SamplerSettings", "Scenario", "SensitivityResult",
           "Target", "analyse", "bands", "calibrate_model", "calibration_problem", "calibration_targets",
           "candidate_parameters", "evaluate", "lint", "load_problem", "prediction_bands", "rank_estimability",
           "run_sensitivity", "salib_problem", "sample", "sample_posterior", "sensitivity_matrix",
           "synthetic_measurements"]
