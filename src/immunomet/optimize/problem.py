"""A schedule-optimisation problem: which agents, their bounds and budgets, the cohort and the goal.

A regimen gives each agent a dose per administration, a first day, an interval and a number of
doses, within bounds; the total of an agent may not exceed its budget (a candidate over budget
gets fewer doses). Each individual's outcome under a regimen is an expectation, not a draw, so
candidates are compared on the same virtual individuals without sampling noise:

- patients: P(disease-free at the end of follow-up) or the expected disease-free years
  (``readouts.relapse.expected_disease_free``);
- mice: survival day at the humane end point, or expected visible nodules at the readout day
  (Kendall's closed form), to be minimised.

The cohort objective is the mean over individuals; CVaR (``cvar:q``), the mean over the share
``q`` of individuals with the worst outcome under that regimen; or a lower quantile
(``quantile:q``) of the individual outcomes (an upper one when minimising nodules).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..spec import Treatment
from ..spec.interventions import regular_days

GOALS = {"dfs": "patients", "dfs_years": "patients", "survival": "mice", "nodules": "mice"}


@dataclass(frozen=True)
class AgentBounds:
    """Search bounds of one agent: dose per administration (mg), first day, interval (days), doses."""

    agent: str
    dose_mg: tuple[float, float]
    start: tuple[float, float]
    interval: tuple[float, float]
    doses: tuple[int, int]
    budget_mg: float
    route: str = "iv"

    def __post_init__(self) -> None:
        for name in ("dose_mg", "start", "interval", "doses"):
            low, high = getattr(self, name)
            if not low <= high or low < 0:
                raise SpecError(f"{self.agent}: {name} bounds must be 0 <= low <= high, got {low}, {high}")
        if not self.budget_mg > 0:
            raise SpecError(f"{self.agent}: budget must be > 0 mg, got {self.budget_mg}")


@dataclass(frozen=True)
class Dosing:
    """One agent's schedule in a regimen."""

    agent: str
    dose_mg: float
    start: float
    interval: float
    doses: int
    route: str = "iv"

    @property
    def total_mg(self) -> float:
        return self.dose_mg * self.doses

    def text(self) -> str:
        if self.doses == 0:
            return f"{self.agent}: none"
        return (f"{self.agent} {self.dose_mg:.4g} mg x{self.doses} every {self.interval:.3g} d from day "
                f"{self.start:.4g} ({self.total_mg:.4g} mg)")


@dataclass(frozen=True)
class Regimen:
    name: str
    dosings: tuple[Dosing, ...]

    def treatments(self, follow_up: float) -> tuple[Treatment, ...]:
        """Treatments with the doses falling after follow-up dropped."""
        out = []
        for d in self.dosings:
            days = tuple(x for x in regular_days(d.start, d.interval, d.doses) if x <= follow_up)
            if days:
                out.append(Treatment(d.agent, d.dose_mg * 1e3, days, d.route))
        return tuple(out)

    def text(self) -> str:
        return "; ".join(d.text() for d in self.dosings) or "no treatment"


def decode(bounds: tuple[AgentBounds, ...], x: np.ndarray, name: str = "candidate") -> Regimen:
    """A regimen from a point of the unit cube (4 coordinates per agent), repaired to the budget."""
    dosings = []
    for k, b in enumerate(bounds):
        u = np.clip(x[4 * k:4 * k + 4], 0.0, 1.0)
        dose = b.dose_mg[0] + u[0] * (b.dose_mg[1] - b.dose_mg[0])
        start = b.start[0] + u[1] * (b.start[1] - b.start[0])
        interval = b.interval[0] + u[2] * (b.interval[1] - b.interval[0])
        doses = int(round(b.doses[0] + u[3] * (b.doses[1] - b.doses[0])))
        doses = min(doses, int(np.floor(b.budget_mg / dose + 1e-9)) if dose > 0 else doses)
        dosings.append(Dosing(b.agent, float(dose), float(start), float(interval), int(doses), b.route))
    return Regimen(name, tuple(dosings))


def cohort_objective(outcomes: np.ndarray, robust: str, maximise: bool) -> np.ndarray:
    """Per candidate (rows): the mean outcome over individuals (columns), or CVaR at ``cvar:q``:
    the mean over the worst share q (lowest if maximising, highest if minimising)."""
    if robust == "mean":
        return np.nanmean(outcomes, axis=1)
    kind, _, share = robust.partition(":")
    if kind in ("cvar", "quantile"):
        try:
            q = float(share)
        except ValueError:
            raise SpecError(f"robust: write {kind}:Q with Q a share, e.g. {kind}:0.2; got {robust!r}") from None
        if not 0 < q <= 1:
            raise SpecError(f"robust: the {kind} share must be in (0, 1], got {q}")
        if kind == "quantile":
            return np.nanquantile(outcomes, q if maximise else 1 - q, axis=1)
        ordered = np.sort(outcomes, axis=1) if maximise else -np.sort(-outcomes, axis=1)
        k = max(1, int(np.ceil(q * outcomes.shape[1])))
        return np.nanmean(ordered[:, :k], axis=1)
    raise SpecError(f"robust: use mean, cvar:Q or quantile:Q (e.g. cvar:0.2), got {robust!r}")
