"""Trajectories -> what a lab measures: nodules, liver weight, flow %, MFI, serum IL-6, survival."""
from .lab import READOUTS, MeasurementNoise, Readout, expected_readouts, measure
from .survival import HumaneEndpoint, time_to_endpoint

__all__ = ["READOUTS", "HumaneEndpoint", "MeasurementNoise", "Readout", "expected_readouts", "measure",
           "time_to_endpoint"]
