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
    """Kendall's closed form for rates sampled on ``times`` (trapezoidal integration, log space).
    ``birth`` and ``death`` are 1-D (one lineage) or 2-D (animals x times, one row per animal)."""
    times = np.asarray(times, dtype=float)
    birth, death = np.asarray(birth, dtype=float), np.asarray(death, dtype=float)
    if times.ndim != 1 or birth.shape != death.shape or birth.shape[-1:] != times.shape:
        raise ValueError("birth and death must be sampled on times (1-D), one row per lineage")
    log_survival, log_mean_size = kendall_logs(times, birth, death)
    return LineageStatistics(times, log_survival, log_mean_size)


def kendall_logs(times: np.ndarray, birth: np.ndarray, death: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log P(alive), log E[size]) along the last axis of ``birth``/``death`` sampled on ``times``
    (compiled with numba: ``kendall_kernel``; ``kendall_logs_numpy`` is the same in numpy)."""
    try:
        from .kendall_kernel import kendall_rows, kendall_rows_serial
    except ImportError:  # pragma: no cover - numba is a core dependency
        return kendall_logs_numpy(times, birth, death)
    from .cores import pinned, threads_here
    rows = np.asarray(birth, dtype=float).reshape(-1, birth.shape[-1])  # strided views are read in place
    deaths = np.asarray(death, dtype=float).reshape(-1, death.shape[-1])
    log_survival, log_mean_size = np.empty(rows.shape), np.empty(rows.shape)
    if rows.size:
        kernel = kendall_rows if threads_here() > 1 and not pinned() else kendall_rows_serial
        kernel(np.ascontiguousarray(times, dtype=float), rows, deaths, log_survival, log_mean_size)
    return log_survival.reshape(birth.shape), log_mean_size.reshape(birth.shape)


def kendall_logs_numpy(times: np.ndarray, birth: np.ndarray, death: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``kendall_logs`` in numpy (the reference the compiled kernel is tested against)."""
    dt = np.diff(times)
    net = death - birth
    steps = 0.5 * dt * (net[..., 1:] + net[..., :-1])
    rho = np.concatenate([np.zeros(net.shape[:-1] + (1,)), np.cumsum(steps, axis=-1)], axis=-1)
    # log of integral_0^t mu exp(rho) ds, accumulated in log space to avoid overflow
    with np.errstate(divide="ignore"):
        log_f = np.log(np.maximum(death, 0.0)) + rho
    seg = np.logaddexp(log_f[..., 1:], log_f[..., :-1]) + np.log(0.5 * dt)
    start = np.full(net.shape[:-1] + (1,), -np.inf)
    log_integral = np.concatenate([start, np.logaddexp.accumulate(seg, axis=-1)], axis=-1)
    log_w = np.logaddexp(0.0, log_integral)
    return -log_w, -rho


def interp_rows(times: np.ndarray, values: np.ndarray, t: float) -> np.ndarray:
    """``np.interp(t, times, row)`` for every row of ``values`` (last axis on ``times``) at once,
    with numpy's own arithmetic, so a row gives bit for bit what ``np.interp`` gives."""
    n = len(times)
    if not t < times[-1]:
        return values[..., -1].copy()
    if t <= times[0]:
        return values[..., 0].copy()
    j = int(np.searchsorted(times, t, side="right") - 1)
    if times[j] == t:
        return values[..., j].copy()
    slope = (values[..., j + 1] - values[..., j]) / (times[j + 1] - times[j])
    out = slope * (t - times[j]) + values[..., j]
    bad = np.isnan(out)
    if bad.any():  # numpy's fallback for non-finite slopes
        other = slope * (t - times[j + 1]) + values[..., j + 1]
        out = np.where(bad, np.where(values[..., j] == values[..., j + 1], values[..., j], other), out)
    assert j + 1 < n
    return out


def visible_probability(mean_size_if_alive, threshold):
    """P(size >= threshold) for a geometric size with the given mean (support 1, 2, ...);
    scalars or arrays (elementwise)."""
    mean, thr = np.asarray(mean_size_if_alive, dtype=float), np.asarray(threshold, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = 1.0 - 1.0 / np.maximum(mean, 1.0)
        big = np.exp((np.maximum(thr, 1.0) - 1.0) * np.log(q))
    small = np.where(thr <= 1, 1.0, 0.0)
    out = np.where(mean <= 1.0, small, big)
    return float(out) if out.ndim == 0 else out


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
