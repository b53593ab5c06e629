"""Group comparisons of a readout between arms: rank tests (scipy), effect sizes with confidence
intervals, and multiplicity correction.

Readouts such as nodule counts are skewed and often bimodal, so the tests are rank tests
(Mann-Whitney U for two arms, Kruskal-Wallis for several) and the effect sizes are
distribution-free: the ratio of medians with a percentile-bootstrap CI, the Hodges-Lehmann shift
(median of pairwise differences), and the rank-biserial correlation (Cliff's delta).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class Comparison:
    """Arm ``b`` against reference arm ``a`` on one readout."""

    readout: str
    a: str
    b: str
    n_a: int
    n_b: int
    median_a: float
    median_b: float
    ratio: float            # median_b / median_a
    ratio_low: float        # 95% bootstrap CI of the ratio
    ratio_high: float
    shift: float            # Hodges-Lehmann estimate of b - a
    rank_biserial: float    # P(b > a) - P(b < a), in [-1, 1]
    statistic: float        # Mann-Whitney U of b against a
    p: float                # two-sided
    test: str = "Mann-Whitney U (two-sided)"

    def as_row(self) -> dict:
        return dict(self.__dict__)


def compare(values_a, values_b, *, readout: str = "", a: str = "a", b: str = "b",
            rng: np.random.Generator | None = None, n_boot: int = 2000) -> Comparison:
    """Compare arm b with reference a. NaNs (animals not measured) are dropped."""
    x = _clean(values_a)
    y = _clean(values_b)
    if len(x) < 2 or len(y) < 2:
        nan = float("nan")
        return Comparison(readout, a, b, len(x), len(y), _median(x), _median(y), nan, nan, nan, nan, nan,
                          nan, 1.0)
    u, p = stats.mannwhitneyu(y, x, alternative="two-sided", method="auto")
    rb = 2.0 * u / (len(x) * len(y)) - 1.0
    shift = float(np.median(np.subtract.outer(y, x)))
    ratio, low, high = _median_ratio_ci(x, y, rng or np.random.default_rng(0), n_boot)
    return Comparison(readout, a, b, len(x), len(y), float(np.median(x)), float(np.median(y)), ratio, low, high,
                      shift, float(rb), float(u), float(p))


def kruskal(groups: dict[str, np.ndarray]) -> tuple[float, float]:
    """Kruskal-Wallis H and p over several arms (NaNs dropped; arms with < 2 values left out)."""
    samples = [v for v in (_clean(g) for g in groups.values()) if len(v) >= 2]
    if len(samples) < 2 or np.ptp(np.concatenate(samples)) == 0:
        return float("nan"), 1.0
    h, p = stats.kruskal(*samples)
    return float(h), float(p)


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni step-down adjusted p-values (controls the family-wise error rate)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        adjusted[i] = min(1.0, running)
    return adjusted


def benjamini_hochberg(pvalues) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), from scipy."""
    p = np.asarray(pvalues, dtype=float)
    return stats.false_discovery_control(p, method="bh") if len(p) else p


ADJUSTMENTS = {"holm": holm, "bh": benjamini_hochberg, "none": lambda p: np.asarray(p, dtype=float)}


def compare_arms(wide: pd.DataFrame, readout: str, reference: str, arms: list[str], *,
                 adjust: str = "holm", seed: int = 0) -> pd.DataFrame:
    """Each of ``arms`` against ``reference`` on ``readout`` (a column of ``StudyResult.wide()``),
    with p-values adjusted over the family of comparisons."""
    rng = np.random.default_rng(seed)
    ref = wide.loc[wide["arm"] == reference, readout]
    rows = [compare(ref, wide.loc[wide["arm"] == arm, readout], readout=readout, a=reference, b=arm, rng=rng).as_row()
            for arm in arms]
    table = pd.DataFrame(rows)
    if len(table):
        table["p_adjusted"] = ADJUSTMENTS[adjust](table["p"].to_numpy())
        table["adjustment"] = adjust
    return table


def last_common_day(wide: pd.DataFrame, arms, readout: str | None = None) -> float:
    """The last readout day on which every arm in ``arms`` has a measured ``readout`` (any
    readout if None) in ``StudyResult.wide()``; the last day with any measurement if no day has
    all arms; NaN without measurements. Comparing arms on one day keeps days from being pooled."""
    arms = set(arms) & set(wide["arm"])
    values = wide[readout] if readout is not None else wide.drop(columns=["arm", "animal", "day"])
    measured = values.notna() if values.ndim == 1 else values.notna().any(axis=1)
    counts = wide.loc[measured & wide["arm"].isin(arms)].groupby("day")["arm"].nunique()
    if counts.empty:
        return float("nan")
    complete = counts[counts >= len(arms)]
    return float((complete if len(complete) else counts).index.max())


def _median_ratio_ci(x, y, rng, n_boot):
    mx, my = np.median(x), np.median(y)
    ratio = my / mx if mx > 0 else float("inf") if my > 0 else float("nan")
    bx = np.median(rng.choice(x, (n_boot, len(x))), axis=1)
    by = np.median(rng.choice(y, (n_boot, len(y))), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = by / bx
    boot = boot[np.isfinite(boot)]
    if len(boot) < n_boot // 2:
        return float(ratio), float("nan"), float("nan")
    low, high = np.percentile(boot, [2.5, 97.5])
    return float(ratio), float(low), float(high)


def _clean(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v)]


def _median(v) -> float:
    return float(np.median(v)) if len(v) else float("nan")
