"""Test statistics for many experiments at once: one experiment per row of an array.

The findings checklist decides every criterion with these functions, whether it checks one run
(one row) or thousands of drawn replicate experiments (``analysis.replication``), so a single
run's verdict and the replication probability come from the same code.

- ``mannwhitney_p``: Mann-Whitney U p-value per row, exact for small groups (also with ties),
  the method chosen per row (scipy decides once for a whole batch: any tie anywhere would send
  every row to the normal approximation);
- ``holm_rows``: Holm step-down adjustment within each row;
- ``kaplan_meier_rows``: Kaplan-Meier median and restricted mean survival time (RMST, with its
  variance) of one group of each row, the group given by a mask;
- ``wilson``: the Wilson score interval of a share.
"""
from __future__ import annotations

import math
from functools import lru_cache
from itertools import combinations

import numpy as np
from scipy import stats

EXACT_MAX = 8          # exact p when either group has at most this many values (scipy's "auto" rule)
ENUMERATE_MAX = 50000  # tied rows: the exact permutation distribution when there are at most this many splits
CELLS = 2 * 10**7      # rows x splits enumerated at once (memory)


def mannwhitney_p(x: np.ndarray, y: np.ndarray, alternative: str = "two-sided") -> np.ndarray:
    """p of the Mann-Whitney U test of ``y`` against ``x`` per row (rows: experiments; no NaN).
    ``alternative`` "greater": y tends to be larger than x. When either group has at most 8
    values the p-value is exact: scipy's exact null distribution for rows without ties, and for
    rows with ties the exact permutation distribution of the mid-rank sum (every split of the
    row's values into the two groups), where scipy would use the normal approximation, which at
    3-8 animals per group can reject what no split of the data could support. Otherwise the
    normal approximation with tie and continuity corrections (scipy). A row whose values are all
    equal has p = 1."""
    x, y = np.atleast_2d(np.asarray(x, float)), np.atleast_2d(np.asarray(y, float))
    both = np.sort(np.concatenate([x, y], axis=1), axis=1)
    ties = (both[:, 1:] == both[:, :-1]).any(axis=1)
    small = min(x.shape[1], y.shape[1]) <= EXACT_MAX
    enumerable = small and math.comb(x.shape[1] + y.shape[1], y.shape[1]) <= ENUMERATE_MAX
    exact, splits = ~ties & small, ties & enumerable
    normal = ~(exact | splits)
    p = np.ones(len(x))
    if exact.any():
        p[exact] = stats.mannwhitneyu(y[exact], x[exact], axis=1, alternative=alternative, method="exact").pvalue
    if splits.any():
        p[splits] = _permutation_p(x[splits], y[splits], alternative)
    if normal.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            p[normal] = stats.mannwhitneyu(y[normal], x[normal], axis=1, alternative=alternative,
                                           method="asymptotic").pvalue
    return np.where(np.isfinite(p), p, 1.0)


def _permutation_p(x: np.ndarray, y: np.ndarray, alternative: str) -> np.ndarray:
    """Exact permutation p of the mid-rank sum of ``y`` per row: the share of all splits of the
    row's values into groups of the two sizes whose sum is at least as extreme. The mid-ranks are
    symmetric about their mean, so two-sided is twice the smaller tail."""
    ranks = stats.rankdata(np.concatenate([x, y], axis=1), axis=1)
    splits = _splits(ranks.shape[1], y.shape[1])
    observed = ranks[:, x.shape[1]:].sum(axis=1)
    upper, lower = np.empty(len(x)), np.empty(len(x))
    step = max(1, CELLS // len(splits))
    for start in range(0, len(x), step):
        sums = ranks[start:start + step] @ splits.T
        obs = observed[start:start + step, None]
        upper[start:start + step] = np.mean(sums >= obs - 1e-9, axis=1)
        lower[start:start + step] = np.mean(sums <= obs + 1e-9, axis=1)
    if alternative == "greater":
        return upper
    if alternative == "less":
        return lower
    return np.minimum(1.0, 2 * np.minimum(upper, lower))


@lru_cache(maxsize=8)
def _splits(total: int, k: int) -> np.ndarray:
    """Every choice of ``k`` of ``total`` positions, one row of 0/1 each."""
    out = np.zeros((math.comb(total, k), total))
    out[np.arange(len(out))[:, None], np.array(list(combinations(range(total), k)))] = 1.0
    return out


def holm_rows(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values within each row of ``p`` (NaN counts as 1)."""
    p = np.where(np.isfinite(p), np.atleast_2d(p), 1.0)
    m = p.shape[1]
    order = np.argsort(p, axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1) * (m - np.arange(m))
    adjusted = np.minimum(np.maximum.accumulate(ranked, axis=1), 1.0)
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, axis=1)
    return out


def kaplan_meier_rows(t: np.ndarray, e: np.ndarray, member: np.ndarray, tau: np.ndarray | None = None) -> dict:
    """Per row, the Kaplan-Meier estimate of the group ``member`` marks (other entries ignored):
    ``median`` (smallest time with S <= 0.5; inf if not reached), ``last`` (the group's last
    time), ``rmst`` (area under S from 0 to ``tau``, default ``last``) and ``rmst_var`` (its
    variance, Klein & Moeschberger 2003, Survival Analysis, eq. 4.5.1: the sum over event times
    of A_i^2 d_i / (Y_i (Y_i - d_i)), A_i the area under S from t_i to tau). At tied times events
    come before censorings, as in the estimator."""
    t, e, member = (np.atleast_2d(a) for a in (np.asarray(t, float), np.asarray(e, bool), np.asarray(member, bool)))
    t = np.where(member, t, -1.0)  # ignored entries: before time 0, never at risk
    order = np.lexsort((~e, t), axis=1)
    t, e, member = (np.take_along_axis(a, order, axis=1) for a in (t, e, member))
    event = e & member
    at_risk = np.cumsum(member[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(event, 1.0 - 1.0 / np.maximum(at_risk, 1), 1.0), axis=1)
    reached = event & (surv <= 0.5 + 1e-9)  # KM median: floating round-off must not move it a death later
    median = np.where(reached.any(axis=1), t[np.arange(len(t)), reached.argmax(axis=1)], np.inf)
    last = np.where(member, t, 0.0).max(axis=1)  # an empty group: 0
    tau = last if tau is None else np.maximum(np.asarray(tau, float), 0.0)
    clipped = np.clip(t, 0.0, tau[:, None])
    before = np.concatenate([np.ones((len(t), 1)), surv[:, :-1]], axis=1)  # S just before each position
    steps = np.diff(np.concatenate([np.zeros((len(t), 1)), clipped], axis=1), axis=1)
    area_to = np.cumsum(before * steps, axis=1)                           # area from 0 to each position
    rmst = area_to[:, -1] + surv[:, -1] * np.maximum(tau - np.maximum(clipped[:, -1], 0.0), 0.0)
    after = rmst[:, None] - area_to                                        # area from each position to tau
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(event & (t <= tau[:, None]) & (at_risk > 1),
                         after**2 / (at_risk * (at_risk - 1.0)), 0.0)
    return {"median": median, "last": last, "rmst": rmst, "rmst_var": terms.sum(axis=1)}


def wilson(share: float, trials: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a ``share`` of ``trials`` (Wilson 1927, J Am Stat Assoc 22:209);
    ``trials`` may be an effective number (e.g. reduced by a design effect). For whole counts it
    equals ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``."""
    if not trials > 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + confidence / 2)
    centre = (share + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z / (1 + z**2 / trials) * np.sqrt(share * (1 - share) / trials + z**2 / (4 * trials**2))
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))
