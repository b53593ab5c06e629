"""Survival as a lab records it: the day a humane end point is reached, or censoring.

A virtual mouse is euthanised when an observable (tumour burden for liver metastasis, tumour
volume for a local tumour) first exceeds the end point; the day is interpolated linearly between
output times. Mice that never reach it are censored at the end of follow-up; a mouse whose
solver failed is censored at its last solved output (its status says so).

Eradication: every seeded cell founds a lineage that may die out (``simulate.colonization``), so
a mouse's tumour is gone for good with probability P(all lineages extinct) (Kendall). ``survival``
draws, for each mouse, whether its tumour was eradicated by the end of follow-up (tumour-free:
it never reaches a tumour end point); a mouse whose tumour persists follows the expected burden
of a tumour that has not died out, ``E[N] / (1 - P(all extinct))``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..simulate import CohortResult, SimulationResult


@dataclass(frozen=True)
class HumaneEndpoint:
    """Euthanise when ``observable`` rises above ``above`` (in the observable's unit)."""

    observable: str = "tumour_burden"
    above: float = 1e9

    def __post_init__(self) -> None:
        if not self.above > 0:
            raise SpecError(f"humane_endpoint.above: must be > 0, got {self.above}")


def endpoint_days(cohort: CohortResult, endpoint: HumaneEndpoint, start: float | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(day, event) per animal: the first crossing of the end point, or (last day solved, False).
    Only outputs from ``start`` on count (default: the cohort's first output)."""
    times = cohort.times
    keep = np.flatnonzero(times >= (times[0] if start is None else start))
    values = cohort.values([endpoint.observable], keep)[endpoint.observable]
    return crossing_days(times[keep], values, endpoint.above)


TUMOUR_OBSERVABLES = ("tumour_burden", "tumour_volume", "cancer_cells")


def survival(cohort: CohortResult, endpoint: HumaneEndpoint, rngs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, death, tumour_free) per animal; ``rngs[i]`` draws animal i's eradication (one uniform)."""
    times = cohort.times
    values = cohort.values([endpoint.observable])[endpoint.observable]
    free = np.zeros(len(cohort), dtype=bool)
    col = cohort.colonisation
    if col is not None and endpoint.observable in TUMOUR_OBSERVABLES:
        u = np.array([rng.random() for rng in rngs])
        log_ext = col.log_all_extinct()
        free = cohort.ok & (np.log(np.maximum(u, 1e-300)) < log_ext[:, -1])
        ext = np.exp(np.array([np.interp(times, col.times, row, left=-np.inf) for row in log_ext]))
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(ext < 1.0, values / (1.0 - ext), np.inf)
        values[free] = 0.0
    day, death = crossing_days(times, values, endpoint.above)
    return day, death & ~free, free


def crossing_days(days: np.ndarray, values: np.ndarray, above: float) -> tuple[np.ndarray, np.ndarray]:
    """(day, event) per row of ``values`` (rows x days): the first day a row reaches ``above``,
    interpolated linearly from the output before; rows that never do are censored at their last
    finite value."""
    over = values >= above
    event = over.any(axis=1)
    i = np.argmax(over, axis=1)
    finite = np.isfinite(values)
    last = np.where(finite.any(axis=1), len(days) - 1 - np.argmax(finite[:, ::-1], axis=1), 0)
    day = days[last].astype(float)
    rows = np.flatnonzero(event)
    first = rows[i[rows] == 0]
    day[first] = days[0]
    later = rows[i[rows] > 0]
    k = i[later]
    v0, v1 = values[later, k - 1], values[later, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(v1 > v0, (above - v0) / (v1 - v0), 1.0)
    day[later] = days[k - 1] + frac * (days[k] - days[k - 1])
    return day, event


def time_to_endpoint(result: SimulationResult, endpoint: HumaneEndpoint) -> tuple[float, bool]:
    """(day, event) of one animal: the first crossing of the end point, or (last day followed, False)."""
    day, event = crossing_days(result.days, result.series(endpoint.observable).to_numpy()[None, :], endpoint.above)
    return float(day[0]), bool(event[0])
