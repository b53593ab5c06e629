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
from ..simulate import CohortResult, Colonisation


@dataclass(frozen=True)
class Surveillance:
    """Continuous detection (``scan_every=0``) or a scan every ``scan_every`` days from day 0."""

    scan_every: float = 0.0

    def __post_init__(self) -> None:
        if not self.scan_every >= 0:
            raise SpecError(f"scan_every: must be >= 0 days, got {self.scan_every}")

    def detect(self, day):
        """The day a relapse on ``day`` (scalar or array) is found."""
        if self.scan_every == 0:
            return day
        return np.ceil(np.asarray(day) / self.scan_every - 1e-9) * self.scan_every


def log_detectable_metastases(col: Colonisation) -> np.ndarray:
    """log Lambda: log of each lineage set's expected number of detectable metastases on
    ``col.times`` (rows x times); -inf where no cell lodged."""
    mean_alive = np.exp(col.log_mean_size - col.log_survival)
    threshold = np.maximum(col.visible_threshold, 1.0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_big = np.where(mean_alive > 1.0,
                           (threshold - 1.0) * np.log1p(-1.0 / np.maximum(mean_alive, 1.0 + 1e-15)),
                           np.where(threshold > 1, -np.inf, 0.0))
        log_lam = np.log(col.arrested)[:, None] + col.log_survival + log_big
    log_lam[col.arrested == 0] = -np.inf
    return log_lam


def detection_days(times: np.ndarray, log_lam: np.ndarray, levels: np.ndarray, last: float,
                   surveillance: Surveillance = Surveillance()) -> tuple[np.ndarray, np.ndarray]:
    """(day, relapsed) per level: the first day the running maximum of row i of ``log_lam`` (one
    row is used for every level) reaches ``levels[i]`` (log of an Exp(1) draw), interpolated
    linearly, then found at the next scan; (``last``, False) if not by ``last``."""
    running = np.maximum.accumulate(log_lam, axis=1)
    rows = np.zeros(len(levels), dtype=np.int64) if running.shape[0] == 1 else np.arange(len(levels))
    k = np.array([np.searchsorted(running[r], v, side="left") for r, v in zip(rows, levels)], dtype=np.int64)
    hit = k < running.shape[1]
    day = np.full(len(levels), float(last))
    inner = hit & (k > 0)
    day[hit & (k == 0)] = times[0]
    r, j = rows[inner], k[inner]
    l0, l1 = running[r, j - 1], running[r, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(np.isfinite(l0) & (l1 > l0), (levels[inner] - l0) / (l1 - l0), 1.0)
    day[inner] = times[j - 1] + frac * (times[j] - times[j - 1])
    detected = np.asarray(surveillance.detect(day), dtype=float)
    relapsed = hit & (detected <= last)
    return np.where(relapsed, detected, float(last)), relapsed


def relapse_days(cohort: CohortResult, rngs, surveillance: Surveillance = Surveillance()
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(day, relapsed) per patient: the detection day, or (last day followed, False). Patient i's
    relapse level is one exponential draw from ``rngs[i]``; a failed solve is censored there."""
    last = float(cohort.times[-1])
    day, relapsed = np.full(len(cohort), last), np.zeros(len(cohort), dtype=bool)
    levels = np.log([rng.exponential() for rng in rngs])
    ok = np.flatnonzero(cohort.ok)
    if cohort.colonisation is None or not len(ok):
        return day, relapsed
    col = cohort.colonisation.subset(ok)
    day[ok], relapsed[ok] = detection_days(col.times, log_detectable_metastases(col), levels[ok], last, surveillance)
    return day, relapsed


def disease_free_curves(cohort: CohortResult) -> tuple[np.ndarray, np.ndarray]:
    """(days, P(no relapse by day)) per patient: exp(-max_{s<=t} Lambda(s)), no random draw
    (patients x days; NaN for a failed solve)."""
    col = cohort.colonisation
    curves = np.exp(-np.exp(np.maximum.accumulate(log_detectable_metastases(col), axis=1)))
    curves[~cohort.ok] = np.nan
    return col.times, curves


def expected_disease_free(cohort: CohortResult) -> tuple[np.ndarray, np.ndarray]:
    """(P(disease-free at the end of follow-up), expected disease-free days up to it) per patient."""
    from scipy.integrate import trapezoid

    days, curves = disease_free_curves(cohort)
    return curves[:, -1], trapezoid(curves, days, axis=1)
