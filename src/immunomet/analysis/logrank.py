"""The two-sample log-rank test for many drawn experiments at once (power by simulation).

Each row of ``(t1, e1)`` and ``(t2, e2)`` is one experiment: survival times and event flags of two
groups. Tied times are handled as the log-rank test does (one risk set per distinct time, the
hypergeometric variance); the statistic and two-sided p-value equal ``scipy.stats.logrank``'s
(tests/reference/test_statistics_known_values.py), without a Python loop over experiments.
"""
from __future__ import annotations

import numpy as np
from scipy import stats


def logrank_many(t1: np.ndarray, e1: np.ndarray, t2: np.ndarray, e2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z, p) per row: z = (O - E) / sqrt(V) of group 1's events (positive: more events than
    expected, i.e. shorter survival than group 2), p two-sided; NaN where a row has no event."""
    g1 = np.zeros((t1.shape[0], t1.shape[1] + t2.shape[1]), dtype=bool)
    g1[:, : t1.shape[1]] = True
    return logrank_labelled(np.concatenate([t1, t2], axis=1), np.concatenate([e1, e2], axis=1), g1)


def logrank_labelled(t: np.ndarray, e: np.ndarray, g1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``logrank_many`` for rows holding both groups, ``g1`` marking group 1's members."""
    t, e, g1 = np.asarray(t, dtype=float), np.asarray(e, dtype=bool), np.asarray(g1, dtype=bool)
    order = np.argsort(t, axis=1, kind="stable")
    t, e, g1 = (np.take_along_axis(a, order, axis=1) for a in (t, e, g1))
    n = t.shape[1]
    at_risk = n - np.arange(n)                      # at risk just before position k (sorted, ties later)
    at_risk1 = np.cumsum(g1[:, ::-1], axis=1)[:, ::-1]  # of group 1
    last = np.ones(t.shape, dtype=bool)             # the last position of each block of tied times
    last[:, :-1] = t[:, 1:] != t[:, :-1]
    first = np.ones(t.shape, dtype=bool)
    first[:, 1:] = last[:, :-1]
    deaths = _block_sums(e.astype(float), first, last)
    deaths1 = _block_sums((e & g1).astype(float), first, last)
    risk = np.where(first, at_risk, 0)
    risk1 = np.where(first, at_risk1, 0)
    block = first & (deaths > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(block, risk1 / np.maximum(risk, 1), 0.0)
        expected = deaths * share
        variance = np.where(block & (risk > 1), deaths * share * (1 - share) * (risk - deaths) / (risk - 1), 0.0)
        z = (deaths1 - expected).sum(axis=1) / np.sqrt(variance.sum(axis=1))
    return z, 2 * stats.norm.sf(np.abs(z))


def _block_sums(values: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per block of tied times, the sum of ``values``, placed at the block's first position (0 elsewhere)."""
    total = np.cumsum(values, axis=1)
    n = values.shape[1]
    # each position's block end: the nearest ``last`` position at or after it
    ends = np.flip(np.minimum.accumulate(np.flip(np.where(last, np.arange(n), n - 1), axis=1), axis=1), axis=1)
    before = np.concatenate([np.zeros((values.shape[0], 1)), total[:, :-1]], axis=1)
    return np.where(first, np.take_along_axis(total, ends, axis=1) - before, 0.0)


def rmst_many(t: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Restricted mean survival time of each row up to its last time (area under its Kaplan-Meier
    curve); at tied times events come before censorings, as in the Kaplan-Meier estimator."""
    order = np.lexsort((~e.astype(bool), t), axis=1)
    t = np.take_along_axis(t.astype(float), order, axis=1)
    e = np.take_along_axis(e.astype(bool), order, axis=1)
    n = t.shape[1]
    surv = np.cumprod(1.0 - e / (n - np.arange(n)), axis=1)
    times = np.concatenate([np.zeros((t.shape[0], 1)), t], axis=1)
    levels = np.concatenate([np.ones((t.shape[0], 1)), surv], axis=1)
    return np.sum(np.diff(times, axis=1) * levels[:, :-1], axis=1)
