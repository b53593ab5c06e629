"""How a criterion of the findings checklist is decided, for one run or many drawn experiments.

Every function takes arrays whose rows are experiments (one row: a single run) and returns, per
row, the criterion's p-value (which enters the finding's Holm correction), whether the effect
points the stated way (``ok``) and the effect estimate with its interval. A criterion passes when
``ok`` and its Holm-adjusted p is below alpha (``passes``).

Directions and their tests:

- readout "higher" / "lower": Mann-Whitney U, two-sided; ``ok`` when the arm's median lies the
  stated side of the reference's (the ratio of medians above / below 1);
- survival "longer": log-rank, two-sided; ``ok`` when the arm has fewer deaths than expected
  (observed - expected < 0, the sign of the log-rank score; the Cox HR is below 1 exactly then,
  the partial likelihood being concave with this score at HR = 1) and its Kaplan-Meier median is
  later (restricted mean survival time when neither median is reached);
- readout "similar": equivalence by two one-sided tests (TOST, Schuirmann 1987, J Pharmacokinet
  Biopharm 15:657) on the log scale: the shifted Mann-Whitney tests of H0 "arm/reference <=
  1/bound" and "arm/reference >= bound", p the larger of the two; the same as the 90% Moses
  interval of the Hodges-Lehmann ratio lying inside [1/bound, bound]. Counts (nodules) are
  compared as log(1 + count), so a nodule-free animal is allowed;
- survival "similar": TOST on the log ratio of restricted mean survival times (to the shorter of
  the two arms' follow-ups), normal approximation with the Kaplan-Meier variance of each RMST.

An equivalence test fails when the experiment is too small to show equivalence: absence of a
significant difference never counts as similarity.

The margins (``SIMILAR_NODULES``, ``SIMILAR_SURVIVAL``) were set before any result was looked at,
by one rule: half the smallest effect of interest, on the log scale (as non-inferiority designs
keep half of the reference effect, the "M2 = M1 / 2" of FDA's 2016 non-inferiority guidance):

- nodules: the smallest change in liver nodule number that metastasis experiments of this kind
  report as an effect is about two-fold (half or double the nodules; counts vary several-fold
  between mice), so the margin is sqrt(2): a ratio within 0.71-1.41 is "about the same";
- survival: the smallest survival gain reported as a treatment effect in syngeneic mouse studies
  is about 20% (4-5 days when untreated mice live three to four weeks; less is within the day or
  two by which humane end points are called), so the margin is sqrt(1.2): an RMST ratio within
  0.91-1.10 "does little".
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from .logrank import logrank_labelled
from .rowstats import kaplan_meier_rows, mannwhitney_p

SIMILAR_NODULES = float(np.sqrt(2.0))  # ratio margin for "about the same" nodule counts
SIMILAR_SURVIVAL = float(np.sqrt(1.2))  # ratio margin for restricted mean survival "does little"
COUNT_READOUTS = frozenset({"visible_nodules"})
EQUIVALENCE_LEVEL = 0.05  # each one-sided test of TOST: a 90% interval inside the margin


def passes(p_adjusted: np.ndarray, ok: np.ndarray, alpha: float, significance: bool = True) -> np.ndarray:
    """Per row: the effect points the stated way and, unless ``significance`` is False (direction
    only), its Holm-adjusted p is below ``alpha``."""
    ok = np.asarray(ok, bool)
    return ok & (np.asarray(p_adjusted) < alpha) if significance else ok


# ---- readouts ------------------------------------------------------------------------------------
def readout_rows(direction: str, bound: float, readout: str, x: np.ndarray, y: np.ndarray) -> dict:
    """Arm ``y`` against reference ``x`` (rows: experiments; NaN: an animal not measured). Rows
    with NaN are decided one at a time on their measured animals; the rest together."""
    x, y = np.atleast_2d(np.asarray(x, float)), np.atleast_2d(np.asarray(y, float))
    complete = np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1)
    decide = _equivalence if direction == "similar" else _directional
    out = _empty(len(x))
    if complete.any():
        _fill(out, complete, decide(x[complete], y[complete], direction, bound, readout))
    for i in np.flatnonzero(~complete):
        xi, yi = x[i][np.isfinite(x[i])], y[i][np.isfinite(y[i])]
        if len(xi) < 2 or len(yi) < 2:
            _fill(out, [i], {"p": np.ones(1), "ok": np.zeros(1, bool), "median_ref": _median(xi),
                           "median_arm": _median(yi), "n_ref": np.array([len(xi)]), "n_arm": np.array([len(yi)])})
            continue
        _fill(out, [i], decide(xi[None, :], yi[None, :], direction, bound, readout))
    return out


def _directional(x, y, direction, bound, readout) -> dict:
    mx, my = np.median(x, axis=1), np.median(y, axis=1)
    ok = my > mx if direction == "higher" else my < mx
    return {"p": mannwhitney_p(x, y), "ok": ok, "median_ref": mx, "median_arm": my, **_sizes(x, y)}


def _equivalence(x, y, direction, bound, readout) -> dict:
    lx, ly = _log(x, readout), _log(y, readout)
    margin = np.log(bound)
    below = mannwhitney_p(lx - margin, ly, "greater")  # H0: log ratio <= -margin
    above = mannwhitney_p(lx + margin, ly, "less")     # H0: log ratio >= +margin
    shift, low, high = _hodges_lehmann(lx, ly)
    return {"p": np.maximum(below, above), "ok": np.abs(shift) < margin, "estimate": np.exp(shift),
            "low": np.exp(low), "high": np.exp(high), "median_ref": np.median(x, axis=1),
            "median_arm": np.median(y, axis=1), **_sizes(x, y)}


def _log(values: np.ndarray, readout: str) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log1p(values) if readout in COUNT_READOUTS else np.log(values)


def _hodges_lehmann(lx: np.ndarray, ly: np.ndarray):
    """Per row: the Hodges-Lehmann shift of ly - lx and its 90% Moses interval (order statistics
    of the pairwise differences at the normal approximation of U's critical value)."""
    diffs = np.sort((ly[:, :, None] - lx[:, None, :]).reshape(len(lx), -1), axis=1)
    with np.errstate(invalid="ignore"):
        shift = np.median(diffs, axis=1)
    m, n = lx.shape[1], ly.shape[1]
    z = stats.norm.ppf(1 - EQUIVALENCE_LEVEL)
    c = int(np.clip(np.floor(m * n / 2 - z * np.sqrt(m * n * (m + n + 1) / 12.0)), 0, m * n - 1))
    return shift, diffs[:, c], diffs[:, m * n - 1 - c]


# ---- survival ------------------------------------------------------------------------------------
def survival_rows(direction: str, bound: float, t: np.ndarray, e: np.ndarray, arm: np.ndarray,
                  ref: np.ndarray) -> dict:
    """Arm against reference on survival: ``t`` times, ``e`` events (True: end point reached),
    ``arm``/``ref`` masks of each group (an entry in neither, e.g. a failed solve, is ignored)."""
    t, e = np.atleast_2d(np.asarray(t, float)), np.atleast_2d(np.asarray(e, bool))
    valid = np.isfinite(t)
    arm, ref = np.atleast_2d(np.asarray(arm, bool)) & valid, np.atleast_2d(np.asarray(ref, bool)) & valid
    used = arm | ref
    t = np.where(used, t, -1.0)  # ignored: censored before time 0, never at risk
    e = e & used
    km_arm, km_ref = kaplan_meier_rows(t, e, arm), kaplan_meier_rows(t, e, ref)
    base = {"median_ref": km_ref["median"], "median_arm": km_arm["median"], "rmst_ref": km_ref["rmst"],
            "rmst_arm": km_arm["rmst"], "n_ref": ref.sum(axis=1), "n_arm": arm.sum(axis=1)}
    if direction == "similar":
        return base | _rmst_equivalence(t, e, arm, ref, np.log(bound))
    z, p = logrank_labelled(t, e, arm)
    neither = ~np.isfinite(km_ref["median"]) & ~np.isfinite(km_arm["median"])
    later = np.where(neither, km_arm["rmst"] > km_ref["rmst"], km_arm["median"] > km_ref["median"])
    ok = (np.nan_to_num(z, nan=0.0) < 0) & later
    return base | {"p": np.where(np.isfinite(p), p, 1.0), "ok": ok, "statistic": z**2}


def _rmst_equivalence(t, e, arm, ref, margin: float) -> dict:
    tau = np.minimum(np.where(arm, t, 0.0).max(axis=1), np.where(ref, t, 0.0).max(axis=1))
    a, r = kaplan_meier_rows(t, e, arm, tau), kaplan_meier_rows(t, e, ref, tau)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(a["rmst"] / r["rmst"])
        se = np.sqrt(a["rmst_var"] / a["rmst"] ** 2 + r["rmst_var"] / r["rmst"] ** 2)
        below = stats.norm.sf((log_ratio + margin) / se)   # H0: log ratio <= -margin
        above = stats.norm.cdf((log_ratio - margin) / se)  # H0: log ratio >= +margin
    inside = np.abs(log_ratio) < margin
    p = np.where(se > 0, np.maximum(below, above), np.where(inside, 0.0, 1.0))
    z = stats.norm.ppf(1 - EQUIVALENCE_LEVEL)
    return {"p": np.where(np.isfinite(p), p, 1.0), "ok": inside, "estimate": np.exp(log_ratio),
            "low": np.exp(log_ratio - z * se), "high": np.exp(log_ratio + z * se), "tau": tau}


# ---- helpers -------------------------------------------------------------------------------------
def _sizes(x, y) -> dict:
    return {"n_ref": np.full(len(x), x.shape[1]), "n_arm": np.full(len(y), y.shape[1])}


def _median(v) -> np.ndarray:
    return np.array([np.median(v) if len(v) else np.nan])


def _empty(rows: int) -> dict:
    return {"p": np.ones(rows), "ok": np.zeros(rows, bool)}


def _fill(out: dict, where, values: dict) -> None:
    """Write ``values`` (arrays over the selected rows) into ``out`` at rows ``where``."""
    rows = len(out["p"])
    for key, v in values.items():
        if key not in out:
            out[key] = np.full(rows, np.nan) if np.asarray(v).dtype.kind == "f" else np.zeros(rows, np.asarray(v).dtype)
        out[key][where] = v
