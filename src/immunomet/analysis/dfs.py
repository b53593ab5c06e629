"""Disease-free survival of virtual patients: by tumour IL-6, beside published cohorts, and by trial arm.

A trial's patients table (``studies.trial.TrialResult.patients``) is turned into the survival
table the rest of ``analysis`` uses (``arm``, ``status``, ``survival_day``, ``death``), grouped by
IL-6 stratum or by arm; KM, log-rank and Cox come from ``analysis.survival`` (lifelines).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .survival import cox_hazard_ratio, kaplan_meier, logrank_pairwise

HIGH, LOW = "IL-6 high", "IL-6 low"
YEAR = 365.25


def dfs_table(patients: pd.DataFrame, group: str = "il6_stratum") -> pd.DataFrame:
    """The survival table of ``analysis.survival`` with ``arm`` = the grouping column."""
    return pd.DataFrame({"arm": patients[group].to_numpy(), "status": patients["status"].to_numpy(),
                         "survival_day": patients["dfs_day"].to_numpy(float),
                         "death": patients["relapse"].to_numpy(bool)})


MEASURES = {"tumour": "tumour_il6_measured", "serum": "serum_il6_measured"}


def restratify(patients: pd.DataFrame, cutoff: float, measure: str = "tumour") -> pd.DataFrame:
    """The same patients with IL-6 high meaning the ``measure`` (tumour IL-6, or the serum IL-6
    sample) above ``cutoff``."""
    return patients.assign(il6_stratum=np.where(patients[MEASURES[measure]] > cutoff, HIGH, LOW))


def serum_strata(patients: pd.DataFrame, high_fraction: float) -> pd.DataFrame:
    """The successful patients split by their serum IL-6 sample: the top ``high_fraction`` of this
    cohort are IL-6 high (a cohort quantile, as in a published cohort's share)."""
    ok = patients[patients["status"] == "success"]
    return restratify(ok, float(np.quantile(ok[MEASURES["serum"]], 1.0 - high_fraction)), "serum")


def dfs_at(table: pd.DataFrame, arms: list[str], years=(1, 3, 5)) -> pd.DataFrame:
    """KM DFS (%) per arm at the given years, with n and relapses."""
    rows = []
    for arm, fit in kaplan_meier(table, arms).items():
        at = fit.survival_function_at_times([y * YEAR for y in years]).to_numpy()
        rows.append({"group": arm, "n": int(fit.event_observed.size), "relapses": int(fit.event_observed.sum()),
                     **{f"dfs_{y}y_%": 100 * float(v) for y, v in zip(years, at)}})
    return pd.DataFrame(rows)


def hazard_ratio_row(table: pd.DataFrame, arm: str, reference: str) -> dict:
    """HR of ``arm`` vs ``reference`` with CI and the log-rank p."""
    hr = cox_hazard_ratio(table, arm, reference)
    lr = logrank_pairwise(table, [reference, arm], [(reference, arm)], adjust="none")
    p = float(lr["p"].iloc[0]) if len(lr) else float("nan")
    return {"hr": hr.hr, "hr_low": hr.low, "hr_high": hr.high, "logrank_p": p, "n": hr.n, "relapses": hr.deaths,
            "note": hr.note}


def dfs_by_il6(patients: pd.DataFrame) -> dict:
    """KM fits, DFS table and HR (IL-6 high vs low) of a cohort's successful patients."""
    table = dfs_table(patients)
    return {"table": table, "km": kaplan_meier(table, [LOW, HIGH]), "dfs": dfs_at(table, [LOW, HIGH]),
            "hr": hazard_ratio_row(table, HIGH, LOW)}


def dfs_by_serum_il6(patients: pd.DataFrame, high_fraction: float) -> dict | None:
    """``dfs_by_il6`` of the same patients split by their serum IL-6 sample (``serum_strata``), as
    the serum cohorts measured; None for a run made before serum samples existed."""
    return dfs_by_il6(serum_strata(patients, high_fraction)) if MEASURES["serum"] in patients else None


@dataclass(frozen=True)
class PublishedCohort:
    """A published IL-6 / outcome cohort (PARAMETERS.md): size, share IL-6 high, outcome and effect."""

    study: str
    n: int
    high_fraction: float | None  # None: not given in PARAMETERS.md
    measure: str
    outcome: str
    published: str
    hr: float = float("nan")
    hr_low: float = float("nan")
    hr_high: float = float("nan")
    stratifier: str = "tumour"  # what the virtual cohort is split by: "tumour" IL-6 or a "serum" IL-6 sample


PUBLISHED_COHORTS = (
    PublishedCohort("Feng 2023", 122, 0.34, "postoperative serum IL-6", "DFS", "HR 1.81 (1.03-3.15)", 1.81, 1.03,
                    3.15, stratifier="serum"),
    PublishedCohort("Padova 2000", 208, None, "serum IL-6 > 10 pg/mL", "overall survival",
                    "RR 1.82; 5-y survival 83% vs 56%", 1.82, stratifier="serum"),
    PublishedCohort("Li 2018", 105, 60 / 105, "tumour IL-6 (IHC)", "overall survival",
                    "median 25.5 vs 46 months, p = 0.013"),
    PublishedCohort("Shiga 2016", 233, 57 / 233, "preoperative serum IL-6 > 6.3 pg/mL", "not given in PARAMETERS.md",
                    "57 of 233 high", stratifier="serum"),
)


def beside_published(patients: pd.DataFrame, cutoff_at, cohorts=PUBLISHED_COHORTS, *, reps: int = 500,
                     seed: int = 0, default_fraction: float = 0.34) -> pd.DataFrame:
    """For each published cohort: the virtual cohort's HR (high vs low) with that cohort's share of
    IL-6-high patients, split by what the cohort measured (tumour IL-6: ``cutoff_at(fraction)``
    gives the cut-off; a serum sample: the cohort's own quantile), and the share of virtual
    cohorts of the published size whose log-rank test finds the difference (p < 0.05). The model
    and its patients are the same for every row; only the measure, the cut-off and the cohort
    size differ. A cohort whose share of IL-6-high patients is not known uses ``default_fraction``."""
    from .logrank import logrank_labelled

    ok = patients[patients["status"] == "success"]
    rng = np.random.default_rng(seed)
    rows = []
    for c in cohorts:
        fraction = c.high_fraction if c.high_fraction is not None else default_fraction
        if c.stratifier == "serum" and MEASURES["serum"] not in ok:  # a run made before serum samples existed
            rows.append({"study": c.study, "n": c.n, "measure": c.measure, "published": c.published,
                         "model DFS HR": "- (this run has no serum IL-6 samples)"})
            continue
        split = serum_strata(ok, fraction) if c.stratifier == "serum" else restratify(ok, cutoff_at(fraction))
        table = dfs_table(split)
        hr = hazard_ratio_row(table, HIGH, LOW)
        t, e, high = (table["survival_day"].to_numpy(), table["death"].to_numpy(), (table["arm"] == HIGH).to_numpy())
        i = rng.integers(0, len(t), (reps, c.n))  # one virtual cohort of the published size per row
        g1 = high[i]
        _, p = logrank_labelled(t[i], e[i], g1)
        testable = (g1.sum(axis=1) >= 2) & ((~g1).sum(axis=1) >= 2) & e[i].any(axis=1)
        found = int(np.sum(testable & (p < 0.05)))
        overlap = hr["hr_low"] <= c.hr_high and hr["hr_high"] >= c.hr_low if np.isfinite(c.hr_low) else None
        share = f"{100 * fraction:.0f}" + ("" if c.high_fraction is not None else " (not given; default)")
        rows.append({"study": c.study, "n": c.n, "IL-6 high %": share, "measure": c.measure,
                     "model split by": f"{c.stratifier} IL-6",
                     "outcome": c.outcome, "published": c.published,
                     "model DFS HR": f"{hr['hr']:.2f} ({hr['hr_low']:.2f}-{hr['hr_high']:.2f})",
                     "95% CIs overlap": {True: "yes", False: "no", None: "-"}[overlap],
                     f"virtual cohorts of n finding it (p<0.05, {reps})": f"{100 * found / reps:.0f}%",
                     "hr": hr["hr"], "hr_low": hr["hr_low"], "hr_high": hr["hr_high"]})
    return pd.DataFrame(rows)


def published_cohorts(patients: pd.DataFrame, plan) -> pd.DataFrame:
    """The model beside each published cohort (``beside_published``) for a virtual cohort run
    with trial ``plan`` (its IL-6 covariate gives each cohort's cut-off)."""
    def cutoff_at(fraction: float) -> float:
        return plan.population.tumour_il6.quantile(plan.model, 1.0 - fraction)

    return beside_published(patients, cutoff_at, seed=plan.seed)
