"""Survival as a lab records it: the day a humane end point is reached, or censoring.

A virtual mouse is euthanised when an observable (tumour burden for liver metastasis, tumour
volume for a local tumour) first exceeds the end point; the day is interpolated linearly between
output times. Mice that never reach it are censored at the end of follow-up; a mouse whose
solver failed is censored at the failure (its status says so).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..simulate import SimulationResult


@dataclass(frozen=True)
class HumaneEndpoint:
    """Euthanise when ``observable`` rises above ``above`` (in the observable's unit)."""

    observable: str = "tumour_burden"
    above: float = 1e9

    def __post_init__(self) -> None:
        if not self.above > 0:
            raise SpecError(f"humane_endpoint.above: must be > 0, got {self.above}")


def time_to_endpoint(result: SimulationResult, endpoint: HumaneEndpoint) -> tuple[float, bool]:
    """(day, event): the first crossing of the end point, or (last day followed, False)."""
    days = result.days
    values = result.series(endpoint.observable).to_numpy()
    over = np.flatnonzero(values >= endpoint.above)
    if over.size == 0:
        return float(days[-1]), False
    i = int(over[0])
    if i == 0:
        return float(days[0]), True
    v0, v1 = values[i - 1], values[i]
    frac = (endpoint.above - v0) / (v1 - v0) if v1 > v0 else 1.0
    return float(days[i - 1] + frac * (days[i] - days[i - 1])), True
