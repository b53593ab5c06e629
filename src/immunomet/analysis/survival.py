"""Survival analysis of a study's animals table (lifelines): Kaplan-Meier per arm, log-rank
tests (pairwise and overall), Cox hazard ratios with confidence intervals.

The animals table holds ``survival_day`` (day the humane end point was crossed, or the end of
follow-up) and ``death`` (True if the end point was crossed, False if censored). Failed animals
(solver status) are left out and counted.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd


def _survival_frame(animals: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    ok = animals[(animals["status"] == "success") & animals["arm"].isin(arms)]
    return pd.DataFrame({"arm": ok["arm"].to_numpy(), "T": ok["survival_day"].astype(float).to_numpy(),
                         "E": ok["death"].astype(bool).to_numpy()})


def kaplan_meier(animals: pd.DataFrame, arms: list[str]) -> dict:
    """A fitted ``lifelines.KaplanMeierFitter`` per arm (label = arm)."""
    from lifelines import KaplanMeierFitter

    frame = _survival_frame(animals, arms)
    fits = {}
    for arm in arms:
        sub = frame[frame["arm"] == arm]
        if len(sub):
            fits[arm] = KaplanMeierFitter(label=arm).fit(sub["T"], sub["E"])
    return fits


def logrank_pairwise(animals: pd.DataFrame, arms: list[str], pairs: list[tuple[str, str]] | None = None,
                     adjust: str = "holm") -> pd.DataFrame:
    """Log-rank test for each pair of arms (all pairs by default), with adjusted p-values."""
    from lifelines.statistics import logrank_test

    from .groups import ADJUSTMENTS

    frame = _survival_frame(animals, arms)
    rows = []
    for a, b in pairs or list(combinations(arms, 2)):
        x, y = frame[frame["arm"] == a], frame[frame["arm"] == b]
        if len(x) < 1 or len(y) < 1:
            continue
        res = logrank_test(x["T"], y["T"], event_observed_A=x["E"], event_observed_B=y["E"])
        rows.append({"a": a, "b": b, "n_a": len(x), "n_b": len(y), "deaths_a": int(x["E"].sum()),
                     "deaths_b": int(y["E"].sum()), "chi2": float(res.test_statistic), "p": float(res.p_value)})
    table = pd.DataFrame(rows)
    if len(table):
        table["p_adjusted"] = ADJUSTMENTS[adjust](table["p"].to_numpy())
    return table


def logrank_overall(animals: pd.DataFrame, arms: list[str]) -> tuple[float, float, int]:
    """Multi-arm log-rank test: (chi2, p, degrees of freedom)."""
    from lifelines.statistics import multivariate_logrank_test

    frame = _survival_frame(animals, arms)
    res = multivariate_logrank_test(frame["T"], frame["arm"], frame["E"])
    return float(res.test_statistic), float(res.p_value), int(res.degrees_of_freedom)


@dataclass(frozen=True)
class HazardRatio:
    """Cox proportional-hazards HR of ``arm`` against ``reference`` with its 95% CI."""

    arm: str
    reference: str
    hr: float
    low: float
    high: float
    p: float
    n: int
    deaths: int
    note: str = ""

    def as_row(self) -> dict:
        return dict(self.__dict__)


def cox_hazard_ratio(animals: pd.DataFrame, arm: str, reference: str, *, penalizer: float = 0.0) -> HazardRatio:
    """Fit a Cox model with one indicator (arm vs reference). With no deaths in one arm, or with
    every death of one arm before the other's (separation), the maximum-likelihood HR is 0 or
    infinite; then a small ridge penalty (0.1) keeps the estimate finite and ``note`` says so."""
    frame = _survival_frame(animals, [arm, reference])
    frame = frame.assign(treated=(frame["arm"] == arm).astype(float)).drop(columns="arm")
    deaths = int(frame["E"].sum())
    if deaths == 0 or frame["treated"].nunique() < 2:
        return HazardRatio(arm, reference, float("nan"), float("nan"), float("nan"), 1.0, len(frame), deaths,
                           "no deaths" if deaths == 0 else "one arm empty")
    no_deaths = frame.groupby("treated")["E"].sum().min() == 0
    note = "no deaths in one arm: ridge-penalised (0.1) Cox fit" if no_deaths and penalizer == 0.0 else ""
    cph = _fit_cox(frame, 0.1 if note else penalizer)
    if penalizer == 0.0 and not note and not _finite_ci(cph):
        note = "arms separated in time (every death of one arm before the other's): ridge-penalised (0.1) Cox fit"
        cph = _fit_cox(frame, 0.1)
    s = cph.summary.loc["treated"]
    return HazardRatio(arm, reference, float(s["exp(coef)"]), float(s["exp(coef) lower 95%"]),
                       float(s["exp(coef) upper 95%"]), float(s["p"]), len(frame), deaths, note)


def _fit_cox(frame: pd.DataFrame, penalizer: float):
    from lifelines import CoxPHFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoxPHFitter(penalizer=penalizer).fit(frame, duration_col="T", event_col="E")


def _finite_ci(cph) -> bool:
    s = cph.summary.loc["treated"]
    low, high = s["exp(coef) lower 95%"], s["exp(coef) upper 95%"]
    return bool(np.isfinite(low) and np.isfinite(high) and low > 0 and high / low < 1e4)


def survival_table(animals: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Per arm: n, deaths, KM median (inf: not reached) with its 95% CI (lifelines), as a table."""
    from lifelines.utils import median_survival_times

    rows = []
    for arm, fit in kaplan_meier(animals, arms).items():
        ci = median_survival_times(fit.confidence_interval_)
        low, high = (float(v) for v in np.asarray(ci).ravel()[:2])
        rows.append({"arm": arm, "n": int(fit.event_observed.size), "deaths": int(fit.event_observed.sum()),
                     "median": float(fit.median_survival_time_), "median_low": low, "median_high": high})
    return pd.DataFrame(rows)
