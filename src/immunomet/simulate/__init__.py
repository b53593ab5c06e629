"""Simulation backends behind one entry point: ``simulate_cohort`` (arrays for many animals) and
``simulate`` (one animal, a view of a cohort of one)."""
from .cohort import simulate_cohort
from .cohort_result import Colonisation, CohortResult
from .colonization import LineageStatistics, NoduleSample, lineage_statistics, sample_nodules
from .ode import SolverOptions
from .result import SimulationResult
from .single import describe_protocol, simulate
from .status import SolveStatus

__all__ = [
    "CohortResult", "Colonisation", "LineageStatistics", "NoduleSample", "SimulationResult", "SolveStatus",
    "SolverOptions", "describe_protocol", "lineage_statistics", "sample_nodules", "simulate", "simulate_cohort",
]
