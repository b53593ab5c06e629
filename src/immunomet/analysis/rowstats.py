"""Test statistics for many experiments at once: one experiment per row of an array.

The findings checklist decides every criterion with these functions, whether it checks one run
(one row) or thousands of drawn replicate experiments (``analysis.replication``), so a single
run's verdict and the replication probability come from the same code.

- ``mannwhitney_p``: Mann-Whitney U p-value per row, the exact null distribution or the normal
  approximation chosen per row as scipy's ``method="auto"`` chooses it for one experiment
  (scipy decides once for a whole batch: any tie anywhere sends every row to the approximation);
- ``holm_rows``: Holm step-down adjustment within each row;
- ``kaplan_meier_rows``: Kaplan-Meier median and restricted mean survival time (RMST, with its
  variance) of one group of each row, the group given by a mask;
- ``wilson``: the Wilson score interval of a share (scipy).
"""
from __future__ import annotations

import numpy as np
from scipy import stats

EXACT_MAX = 8  # scipy's "auto": exact when either sample has <= 8 values and there are no ties


def mannwhitney_p(x: np.ndarray, y: np.ndarray, alternative: str = "two-sided") -> np.ndarray:
    """p of the Mann-Whitney U test of ``y`` against ``x`` per row (rows: experiments; no NaN).
    ``alternative`` "greater": y tends to be larger than x. A row whose values are all equal has
    p = 1 (no evidence either way)."""
    x, y = np.atleast_2d(np.asarray(x, float)), np.atleast_2d(np.asarray(y, float))
    both = np.sort(np.concatenate([x, y], axis=1), axis=1)
    ties = (both[:, 1:] == both[:, :-1]).any(axis=1)
    exact = ~ties if min(x.shape[1], y.shape[1]) <= EXACT_MAX else np.zeros(len(x), bool)
    p = np.ones(len(x))
    for rows, method in ((exact, "exact"), (~exact, "asymptotic")):
        if rows.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                p[rows] = stats.mannwhitneyu(y[rows], x[rows], axis=1, alternative=alternative, method=method).pvalue
    return np.where(np.isfinite(p), p, 1.0)


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
    last = np.where(member, t, -np.inf).max(axis=1)
    tau = last if tau is None else np.asarray(tau, float)
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


def wilson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of ``successes`` / ``trials`` (scipy.stats.binomtest)."""
    if trials == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)
