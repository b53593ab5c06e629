"""Trajectories -> what a lab measures: nodules, liver weight, flow %, MFI, serum IL-6, survival."""
from .lab import READOUTS, MeasurementNoise, Readout, measure
from .survival import HumaneEndpoint, time_to_endpoint

__all__ = ["READOUTS", "HumaneEndpoint", "MeasurementNoise", "Readout", "measure", "time_to_endpoint"]
