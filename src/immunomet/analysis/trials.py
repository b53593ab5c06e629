"""Virtual trial analysis: each arm vs control, overall and by IL-6 stratum, and patients per arm.

Effects are Cox hazard ratios of relapse with 95% CIs and log-rank p-values (lifelines), beside
KM DFS at 3 years. Patients per arm for the target power are found the way ``analysis.power``
finds animals: trials of n patients per arm are drawn from the simulated arms (with replacement
beyond the arm's size) and tested by log-rank; power at n is the share with p < alpha and the
arm's DFS longer. Schoenfeld's formula (events = 4 (z_a/2 + z_b)^2 / ln(HR)^2, divided by the
share relapsing) is given beside it as a check.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .dfs import HIGH, LOW, dfs_at, dfs_table, hazard_ratio_row
from .power import Comparison, _power

PATIENT_GRID = (25, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1000, 1500, 2000, 3000)
SUBGROUPS = ("all patients", LOW, HIGH)


def _subgroup(patients: pd.DataFrame, subgroup: str) -> pd.DataFrame:
    ok = patients[patients["status"] == "success"]
    return ok if subgroup == "all patients" else ok[ok["il6_stratum"] == subgroup]


def _dfs_3y(table: pd.DataFrame, arm: str) -> float:
    at = dfs_at(table, [arm], years=(3,))
    return float(at["dfs_3y_%"].iloc[0]) if len(at) else float("nan")


def arm_comparisons(patients: pd.DataFrame, arms: list[str], *, power: float = 0.8, alpha: float = 0.05,
                    reps: int = 200, seed: int = 0, grid=PATIENT_GRID) -> pd.DataFrame:
    """One row per (arm vs the first arm, subgroup): DFS, HR, log-rank p and patients per arm needed."""
    control = arms[0]
    rng = np.random.default_rng(seed)
    rows = []
    for arm in arms[1:]:
        for subgroup in SUBGROUPS:
            sub = _subgroup(patients[patients["arm"].isin([control, arm])], subgroup)
            table = dfs_table(sub, group="arm")
            if table["arm"].nunique() < 2:
                continue
            hr = hazard_ratio_row(table, arm, control)
            needed = patients_needed(table, control, arm, power=power, alpha=alpha, reps=reps, rng=rng, grid=grid)
            rows.append({"arm": arm, "control": control, "subgroup": subgroup,
                         "n_arm": int((table["arm"] == arm).sum()), "n_control": int((table["arm"] == control).sum()),
                         "dfs3y_arm_%": _dfs_3y(table, arm), "dfs3y_control_%": _dfs_3y(table, control),
                         "hr": hr["hr"], "hr_low": hr["hr_low"], "hr_high": hr["hr_high"], "logrank_p": hr["logrank_p"],
                         "patients_per_arm": needed, "schoenfeld_per_arm": schoenfeld_per_arm(table, control, arm,
                                                                                               power, alpha)})
    return pd.DataFrame(rows)


def patients_needed(table: pd.DataFrame, control: str, arm: str, *, power: float, alpha: float, reps: int,
                    rng: np.random.Generator, grid=PATIENT_GRID) -> float:
    """Smallest n per arm (of ``grid``) whose drawn trials reach ``power``; NaN beyond the grid.
    Power rises with n, so the grid is bisected (about four sizes simulated, not all)."""
    ref = _times_events(table, control)
    new = _times_events(table, arm)
    c = Comparison(f"{arm} vs {control}", "survival", control, arm, "longer")
    low, high = 0, len(grid)  # answer index in [low, high]; high = len(grid) means beyond the grid
    while low < high:
        mid = (low + high) // 2
        if _power(ref, new, grid[mid], c, reps, alpha, rng) >= power:
            high = mid
        else:
            low = mid + 1
    return float(grid[low]) if low < len(grid) else float("nan")


def _times_events(table: pd.DataFrame, arm: str):
    sub = table[table["arm"] == arm]
    return sub["survival_day"].to_numpy(float), sub["death"].to_numpy(bool)


def schoenfeld_per_arm(table: pd.DataFrame, control: str, arm: str, power: float, alpha: float) -> float:
    """Patients per arm from Schoenfeld (1983) with 1:1 allocation and the simulated HR and relapse share."""
    hr = hazard_ratio_row(table, arm, control)["hr"]
    share = float(table["death"].mean())
    if not (np.isfinite(hr) and hr > 0 and hr != 1 and share > 0):
        return float("nan")
    events = 4 * (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) ** 2 / np.log(hr) ** 2
    return float(np.ceil(events / share / 2))
