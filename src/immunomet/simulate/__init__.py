"""Simulation backends behind one entry point, ``simulate``."""
from .cohort import simulate_cohort
from .colonization import LineageStatistics, NoduleSample, lineage_statistics, sample_nodules
from .ode import SolverOptions
from .result import SimulationResult
from .single import describe_protocol, simulate

__all__ = [
    "LineageStatistics", "NoduleSample", "SimulationResult", "SolverOptions", "describe_protocol",
    "lineage_statistics", "sample_nodules", "simulate", "simulate_cohort",
]
