"""Relapse: the day the first liver metastasis reaches a detectable size.

Each lodged cancer cell founds a birth-death lineage (``simulate.colonization``). At day t a
lineage is alive with probability P(t) and, if alive, its size is geometric with mean m(t), so it
is at least D cells (detectable, ``nodule_visible_cells``) with probability
P(t) (1 - 1/m(t))^(D-1). With M lodged cells, the number of detectable metastases is
binomial and, for small per-cell probabilities, Poisson with mean

    Lambda(t) = M P(t) (1 - 1/m(t))^(D-1).

A metastasis once detectable counts as a relapse even if it later shrinks, so the relapse day is
the first t at which the running maximum of Lambda reaches an Exp(1) draw: P(no relapse by t) =
exp(-max_{s<=t} Lambda(s)). Patients not relapsed by the end of follow-up are censored there; a
patient whose solver failed is censored at the failure (status "failed"). With ``scan_every``
> 0 a relapse is found at the first surveillance scan on or after it, as in trials.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..simulate import SimulationResult


@dataclass(frozen=True)
class Surveillance:
    """Continuous detection (``scan_every=0``) or a scan every ``scan_every`` days from day 0."""

    scan_every: float = 0.0

    def __post_init__(self) -> None:
        if not self.scan_every >= 0:
            raise SpecError(f"scan_every: must be >= 0 days, got {self.scan_every}")

    def detect(self, day: float) -> float:
        if self.scan_every == 0:
            return day
        return float(np.ceil(day / self.scan_every - 1e-9) * self.scan_every)


def log_detectable_metastases(result: SimulationResult) -> tuple[np.ndarray, np.ndarray]:
    """(days, log Lambda): log of the expected number of detectable metastases at each day."""
    lineages, nodules = result.lineages, result.nodules
    if lineages is None or nodules is None:
        raise SpecError("relapse needs liver colonisation (cancer cells lodged in the liver) and a solved patient")
    if nodules.arrested == 0:
        return lineages.times, np.full(lineages.times.shape, -np.inf)
    mean_alive = np.exp(lineages.log_mean_size - lineages.log_survival)
    threshold = max(nodules.visible_threshold, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_big = np.where(mean_alive > 1.0, (threshold - 1.0) * np.log1p(-1.0 / np.maximum(mean_alive, 1.0 + 1e-15)),
                           -np.inf if threshold > 1 else 0.0)
    return lineages.times, np.log(nodules.arrested) + lineages.log_survival + log_big


def relapse_day(result: SimulationResult, rng: np.random.Generator,
                surveillance: Surveillance = Surveillance()) -> tuple[float, bool]:
    """(day, relapsed): the detection day, or (last day followed, False)."""
    last = float(result.days[-1])
    if not result.ok or result.lineages is None:
        return last, False
    days, log_lam = log_detectable_metastases(result)
    level = np.log(rng.exponential())
    running = np.maximum.accumulate(log_lam)
    over = np.flatnonzero(running >= level)
    if over.size == 0:
        return last, False
    i = int(over[0])
    if i == 0:
        return surveillance.detect(float(days[0])), True
    l0, l1 = running[i - 1], running[i]
    frac = (level - l0) / (l1 - l0) if np.isfinite(l0) and l1 > l0 else 1.0
    day = float(days[i - 1] + frac * (days[i] - days[i - 1]))
    detected = surveillance.detect(day)
    return (detected, True) if detected <= last else (last, False)


def disease_free_curve(result: SimulationResult) -> tuple[np.ndarray, np.ndarray]:
    """(days, P(no relapse by day)) of one patient: exp(-max_{s<=t} Lambda(s)), no random draw."""
    if not result.ok or result.lineages is None:
        raise SpecError("disease-free probability needs a solved patient with liver colonisation")
    days, log_lam = log_detectable_metastases(result)
    return days, np.exp(-np.exp(np.maximum.accumulate(log_lam)))


def expected_disease_free(result: SimulationResult) -> tuple[float, float]:
    """(P(disease-free at the end of follow-up), expected disease-free days up to it) of one patient."""
    days, curve = disease_free_curve(result)
    from scipy.integrate import trapezoid

    return float(curve[-1]), float(trapezoid(curve, days))
