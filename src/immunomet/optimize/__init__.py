"""Treatment optimisation: dosing schedules within bounds and budgets, robust across a cohort."""
from .defaults import default_problem
from .problem import AgentBounds, Dosing, Regimen
from .schedules import ScheduleProblem, ScheduleResult, optimise

__all__ = ["AgentBounds", "Dosing", "Regimen", "ScheduleProblem", "ScheduleResult", "default_problem", "optimise"]
