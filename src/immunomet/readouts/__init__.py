"""Trajectories -> what a lab measures: nodules, liver weight, flow %, MFI, serum IL-6, survival,
relapse; computed for every animal of a cohort at once."""
from .lab import (READOUTS, UNITS, MeasurementNoise, Readout, expected_cohort, expected_readouts, measure,
                  measure_cohort, readout_names)
from .survival import HumaneEndpoint, crossing_days, endpoint_days, survival, time_to_endpoint

__all__ = ["READOUTS", "UNITS", "HumaneEndpoint", "MeasurementNoise", "Readout", "crossing_days", "endpoint_days",
           "expected_cohort", "expected_readouts", "measure", "measure_cohort", "readout_names", "survival", "time_to_endpoint"]
