"""Default search bounds, budgets and standard schedules for mice and patients.

Patients: atezolizumab-like anti-PD-L1 and tocilizumab-like anti-IL-6R, i.v., within the first
two years after resection; budgets are the one-year adjuvant totals (17 x 1200 mg, 13 x 560 mg;
Tecentriq and Actemra labels' doses, 8 mg/kg at 70 kg). Mice: anti-PD-L1 and anti-IL-6R (MR16-1)
i.p. after intrasplenic CT26 in WT mice; budgets are the usual regimens (200 ug twice;
2 mg loading + 0.5 mg weekly, PARAMETERS.md).
"""
from __future__ import annotations

from .problem import AgentBounds, Dosing, Regimen
from .schedules import ScheduleProblem

PATIENT_BOUNDS = (
    AgentBounds("anti-il6r", dose_mg=(160, 800), start=(14, 730), interval=(14, 56), doses=(0, 40), budget_mg=13 * 560),
    AgentBounds("anti-pdl1", dose_mg=(840, 1680), start=(14, 730), interval=(14, 42), doses=(0, 40),
                budget_mg=17 * 1200),
)
_TOCI_1Y = Dosing("anti-il6r", 560, 28, 28, 13)
_ATEZO_1Y = Dosing("anti-pdl1", 1200, 28, 21, 17)
PATIENT_STANDARDS = (
    Regimen("no treatment", ()),
    Regimen("anti-IL-6R 1 year", (_TOCI_1Y,)),
    Regimen("anti-PD-L1 1 year", (_ATEZO_1Y,)),
    Regimen("both 1 year", (_TOCI_1Y, _ATEZO_1Y)),
)

MOUSE_BOUNDS = (
    AgentBounds("anti-il6r", dose_mg=(0.1, 2.0), start=(0, 14), interval=(2, 7), doses=(0, 8), budget_mg=4.0,
                route="ip"),
    AgentBounds("anti-pdl1", dose_mg=(0.05, 0.4), start=(0, 14), interval=(2, 7), doses=(0, 6), budget_mg=0.4,
                route="ip"),
)
_MR16_1 = (Dosing("anti-il6r", 2.0, 0, 7, 1, "iv"), Dosing("anti-il6r", 0.5, 7, 7, 4, "ip"))
_APDL1 = Dosing("anti-pdl1", 0.2, 8, 3, 2, "ip")
MOUSE_STANDARDS = (
    Regimen("no treatment", ()),
    Regimen("anti-IL-6R 2 mg + 0.5 mg weekly", _MR16_1),
    Regimen("anti-PD-L1 200 ug d8, d11", (_APDL1,)),
    Regimen("both", (*_MR16_1, _APDL1)),
)


def default_problem(goal: str = "dfs", *, individuals: int = 100, seed: int = 0, robust: str = "mean",
                    agents: tuple[str, ...] = ("anti-il6r", "anti-pdl1"), engine: str = "auto") -> ScheduleProblem:
    from ..errors import SpecError
    from .problem import GOALS

    if goal not in GOALS:
        raise SpecError(f"goal {goal!r} unknown; use one of {', '.join(GOALS)}")
    patients = GOALS[goal] == "patients"
    bounds = tuple(b for b in (PATIENT_BOUNDS if patients else MOUSE_BOUNDS) if b.agent in agents)
    if not bounds:
        raise SpecError(f"agents: choose from anti-il6r, anti-pdl1, got {', '.join(agents)}")
    return ScheduleProblem(goal, bounds, PATIENT_STANDARDS if patients else MOUSE_STANDARDS, individuals, seed,
                           robust, engine)
