"""Fate of seeded cancer cells: extinction or a nodule, from the closed-form birth-death process.

Each arrested cell founds a linear birth-death lineage with per-cell birth rate lambda(t) and
death rate mu(t) (immune killing included). With rho(t) = integral_0^t (mu - lambda) ds,
Kendall (1948, Ann Math Stat 19:1) gives

    P(lineage alive at t) = 1 / W(t),   W(t) = 1 + integral_0^t mu(s) exp(rho(s)) ds,
    E[size] = exp(-rho(t)),  and a surviving lineage's size is geometric with mean exp(-rho) W.

So, given the immune trajectory, the number of nodules is binomial and their sizes geometric:
exact, with no cell-by-cell simulation. ``ssa.py`` holds the Gillespie reference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LineageStatistics:
    """Closed-form statistics of one lineage started by one cell at ``times[0]``."""

    times: np.ndarray
    log_survival: np.ndarray  # log P(alive at t)
    log_mean_size: np.ndarray  # log E[size at t] (over all lineages, extinct counted as 0)

    @property
    def survival(self) -> np.ndarray:
        return np.exp(self.log_survival)

    @property
    def mean_size_if_alive(self) -> np.ndarray:
        return np.exp(self.log_mean_size - self.log_survival)

    def at(self, t: float) -> tuple[float, float]:
        """(P(alive), mean size if alive) at time ``t`` (linear interpolation in log space)."""
        ls = float(np.interp(t, self.times, self.log_survival))
        lm = float(np.interp(t, self.times, self.log_mean_size))
        return float(np.exp(ls)), float(np.exp(lm - ls))


def lineage_statistics(times, birth, death) -> LineageStatistics:
    """Kendall's closed form for rates sampled on ``times`` (trapezoidal integration, log space)."""
    times, birth, death = (np.asarray(a, dtype=float) for a in (times, birth, death))
    if times.ndim != 1 or times.shape != birth.shape or times.shape != death.shape:
        raise ValueError("times, birth and death must be 1-D arrays of equal length")
    dt = np.diff(times)
    net = death - birth
    rho = np.concatenate([[0.0], np.cumsum(0.5 * dt * (net[1:] + net[:-1]))])
    # log of integral_0^t mu exp(rho) ds, accumulated in log space to avoid overflow
    with np.errstate(divide="ignore"):
        log_f = np.log(np.maximum(death, 0.0)) + rho
    seg = np.logaddexp(log_f[1:], log_f[:-1]) + np.log(0.5 * dt)
    log_integral = np.concatenate([[-np.inf], np.logaddexp.accumulate(seg)])
    log_w = np.logaddexp(0.0, log_integral)
    return LineageStatistics(times, -log_w, -rho)


def visible_probability(mean_size_if_alive: float, threshold: float) -> float:
    """P(size >= threshold) for a geometric size with the given mean (support 1, 2, ...)."""
    if mean_size_if_alive <= 1.0:
        return 1.0 if threshold <= 1 else 0.0
    q = 1.0 - 1.0 / mean_size_if_alive
    return float(np.exp((max(threshold, 1.0) - 1.0) * np.log(q)))


@dataclass(frozen=True)
class NoduleSample:
    """One animal's nodules at one time: sizes (cells) of every surviving lineage."""

    day: float
    arrested: int
    sizes: np.ndarray
    visible_threshold: float

    @property
    def visible(self) -> int:
        return int(np.count_nonzero(self.sizes >= self.visible_threshold))

    @property
    def burden(self) -> float:
        return float(self.sizes.sum())


def sample_nodules(stats: LineageStatistics, day: float, arrested: int, threshold: float,
                   rng: np.random.Generator) -> NoduleSample:
    """Draw the number of surviving lineages (binomial) and their sizes (geometric)."""
    p_alive, mean_alive = stats.at(day)
    alive = int(rng.binomial(arrested, min(max(p_alive, 0.0), 1.0)))
    p_geom = 1.0 / max(mean_alive, 1.0)
    sizes = rng.geometric(p_geom, size=alive).astype(float) if alive else np.zeros(0)
    return NoduleSample(day, arrested, sizes, threshold)
