"""The patient model calibrated on the same principles as the mouse model: one published magnitude
(3-year disease-free survival of resected stage III colon cancer, ``models/data/magnitudes.yaml``,
use: calibration) informs the three values that set the recurrence rate and had been chosen by
hand: the innate clearance of occult cells ``k_innate`` (the mouse value, fitted to a bolus of
cells arriving in the liver on day 0, does not carry over to cells shed over the months before
resection), their basal loss ``d_tumour`` and the median share of disseminated cells lodged in the
liver ``f_liver_arrest`` (a covariate spread over decades between patients). With three
parameters the posterior is computed on a grid (exact quadrature, no sampler): the priors are
uniform in log10 on their ranges, the likelihood log-normal with the published range as its 95%
interval (as for every magnitude, ``targets``). One number cannot pin three parameters: the grid
shows the surface they trade along, and each marginal median is reported with its interval.

The population's DFS at 3 years is the mean over virtual patients of each one's expected
disease-free probability (``readouts.relapse.disease_free_curves``: no random draw, so the curve
over the grid is smooth); every grid value uses the same drawn patients.

The hazard ratio of IL-6-high against IL-6-low patients is *not* calibrated: it is compared with
the published cohorts' confidence intervals afterwards (``patient_check``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis.magnitudes import load_magnitudes
from ..readouts.relapse import disease_free_curves
from ..simulate.cohort import simulate_cohort
from ..studies import load_builtin_trial, plan_trial
from .targets import Z95

PARAMETERS = ("k_innate", "d_tumour", "f_liver_arrest")
TRIAL = "dfs_by_il6"


@dataclass(frozen=True)
class PatientCalibration:
    """The grid (one row per combination of values, DFS at 3 years, log-likelihood, posterior
    weight) and each parameter's marginal summaries."""

    parameters: tuple[str, ...]
    grid: pd.DataFrame
    target: tuple[float, float]

    def quantile(self, parameter: str, q: float) -> float:
        marginal = self.grid.groupby(parameter)["weight"].sum()
        cdf = np.cumsum(marginal.to_numpy())
        return float(np.interp(q, cdf / cdf[-1], marginal.index.to_numpy()))

    def median(self) -> dict[str, float]:
        """Each parameter's marginal median. Where the target leaves a ridge (one number, several
        parameters) these together may lie off it: the defaults are the ``mode``."""
        return {p: self.quantile(p, 0.5) for p in self.parameters}

    def mode(self) -> dict[str, float]:
        """The grid point of highest posterior weight. On a ridge many points share nearly the same
        weight, so which one wins is arbitrary (it can sit on a prior bound): reported, not the default."""
        best = self.grid.loc[self.grid["weight"].idxmax()]
        return {p: float(best[p]) for p in self.parameters}

    def defaults(self) -> dict[str, float]:
        """The defaults: of the grid points on the crest of the ridge (posterior weight at least
        exp(-1/2) of the highest: DFS within one SD of the target's centre), the one nearest the
        marginal medians, in log10 with each axis scaled to the span of its grid (the prior). The
        medians summarise the posterior but together lie off the ridge; this keeps them as the
        centre and meets the target with room for another cohort's sampling error. The mode if no
        grid point reaches the target's range."""
        if not self.reaches_target():
            return self.mode()
        inside = self.grid[self.grid["weight"] >= np.exp(-0.5) * self.grid["weight"].max()]
        distance = np.zeros(len(inside))
        for p, centre in self.median().items():
            axis = np.log10(self.grid[p].to_numpy())
            span = max(float(axis.max() - axis.min()), 1e-12)
            distance += ((np.log10(inside[p].to_numpy()) - np.log10(centre)) / span) ** 2
        best = inside.iloc[int(np.argmin(distance))]
        return {p: float(best[p]) for p in self.parameters}

    def share_inside(self) -> float:
        """The share of grid points whose DFS lies inside the target's range."""
        low, high = self.target
        return float(((self.grid["dfs_3y"] >= low) & (self.grid["dfs_3y"] <= high)).mean())

    def reaches_target(self) -> bool:
        """Whether any grid point's DFS lies inside the target's range: if none does, the
        "posterior" is only the edge of the grid nearest the target and must not become a default."""
        low, high = self.target
        return bool(((self.grid["dfs_3y"] >= low) & (self.grid["dfs_3y"] <= high)).any())

    def __str__(self) -> str:
        low, high = self.target
        parts = [f"{p} {self.quantile(p, 0.5):.4g} (90% {self.quantile(p, 0.05):.4g}-{self.quantile(p, 0.95):.4g})"
                 for p in self.parameters]
        chosen = ", ".join(f"{p} {v:.4g}" for p, v in self.defaults().items())
        mode = ", ".join(f"{p} {v:.4g}" for p, v in self.mode().items())
        return (f"patients: posterior medians {'; '.join(parts)} from DFS at 3 years in {low:g}-{high:g} "
                f"(grid of {len(self.grid)}, {self.share_inside():.0%} of it inside the target; DFS over the grid "
                f"{self.grid['dfs_3y'].min():.3f}-{self.grid['dfs_3y'].max():.3f}); defaults (the point on the crest "
                f"nearest the medians): {chosen}; mode: {mode}")


def dfs3y_target() -> tuple[float, float, str]:
    m = next(m for m in load_magnitudes() if m.readout == "dfs_3y" and m.use == "calibration")
    return m.low, m.high, m.source


def patient_plan(mouse=None, patients: int = 300, seed: int | None = None, engine: str = "auto"):
    """The untreated DFS trial on the patient model built from ``mouse`` (default: the mouse model)."""
    from dataclasses import replace

    from ..models import mouse_model, patient_model_from

    update = {"patients_per_arm": patients} | ({"seed": seed} if seed is not None else {})
    plan = plan_trial(load_builtin_trial(TRIAL).model_copy(update=update), engine=engine)
    return replace(plan, model=patient_model_from(mouse or mouse_model()))


BLOCK_PATIENTS = 6000  # patients simulated at once (about 150 kB each over 5 years): memory stays under 1 GB


def dfs_at_3_years(plan, combinations: list[dict]) -> np.ndarray:
    """Population DFS at 3 years for each combination of parameter values (the same patients),
    simulated in blocks of combinations."""
    per_block = max(1, BLOCK_PATIENTS // plan.patients_per_arm)
    return np.concatenate([_dfs_block(plan, combinations[i:i + per_block])
                           for i in range(0, len(combinations), per_block)])


def _dfs_block(plan, combinations: list[dict]) -> np.ndarray:
    arm = plan.arms[0]
    rows, seeds = [], []
    for values in combinations:
        model = plan.model.with_parameters(values)
        patients = plan.population.draw(model, range(plan.patients_per_arm), plan.seed, arm.group)
        rows.append(patients.parameters)
        seeds += list(patients.colonisation_seeds)
    cohort = simulate_cohort(plan.model, arm.protocol, seeds, parameters=np.vstack(rows), options=plan.solver,
                             engine=plan.engine)
    days, curves = disease_free_curves(cohort)
    at = np.array([np.interp(3 * 365.25, days, c) for c in curves])
    return np.nanmean(at.reshape(len(combinations), plan.patients_per_arm), axis=1)


def calibrate_patients(mouse=None, *, parameters=PARAMETERS, points: int = 9, patients: int = 1000,
                       engine: str = "auto") -> PatientCalibration:
    """The grid posterior of ``parameters`` (``points`` log-spaced values of each over its prior)
    given the 3-year DFS (module doc)."""
    plan = patient_plan(mouse, patients, engine=engine)
    priors = [plan.model.parameters[p].prior for p in parameters]
    axes = [np.clip(np.logspace(*np.log10(prior), points), *prior) for prior in priors]  # ends exactly on the prior
    mesh = np.meshgrid(*axes, indexing="ij")
    combinations = [dict(zip(parameters, map(float, values))) for values in zip(*(m.ravel() for m in mesh))]
    dfs = dfs_at_3_years(plan, combinations)
    t_low, t_high, _ = dfs3y_target()
    centre, sigma = 0.5 * np.log(t_low * t_high), np.log(t_high / t_low) / (2 * Z95)
    with np.errstate(divide="ignore", invalid="ignore"):
        loglik = -0.5 * ((np.log(dfs) - centre) / sigma) ** 2 - np.log(dfs * sigma * np.sqrt(2 * np.pi))
    loglik = np.where(np.isfinite(loglik), loglik, -np.inf)
    weight = np.exp(loglik - loglik.max())  # uniform priors in log10 on an even log grid
    grid = pd.DataFrame(combinations).assign(dfs_3y=dfs, log_likelihood=loglik, weight=weight / weight.sum())
    return PatientCalibration(tuple(parameters), grid, (t_low, t_high))


def hazard_ratio_check(values: dict, *, patients: int = 500, seed: int | None = None) -> pd.DataFrame:
    """The untreated trial with the patient parameters at ``values``: the model's 3-year DFS and its hazard
    ratios of relapse, IL-6 high against low (Cox, with CI): split by a postoperative serum IL-6 sample
    as Feng 2023 did (beside magnitudes.yaml's range: Feng's CI 1.03-3.15), and by tumour IL-6 (F8's
    strata, which no cohort with a published HR measured)."""
    from dataclasses import replace

    from ..analysis.dfs import HIGH, LOW, dfs_at, dfs_table, hazard_ratio_row, serum_strata
    from ..studies import run_trial

    plan = patient_plan(patients=patients, seed=seed)
    plan = replace(plan, model=plan.model.with_parameters(values))
    cohort = run_trial(plan).patients
    table = dfs_table(cohort)
    overall = float(dfs_at(table.assign(arm="all"), ["all"], years=(3,))["dfs_3y_%"].iloc[0]) / 100.0
    published = {m.readout: m for m in load_magnitudes() if m.on_patients}
    feng = published["dfs_hr_serum_il6_high"]
    rows = [{"quantity": "DFS at 3 years", "model": overall, "low": published["dfs_3y"].low,
             "high": published["dfs_3y"].high, "use": "calibration target"}]
    for quantity, split, low, high, use in (
            ("hazard ratio of relapse, serum IL-6 high vs low (Feng's measure)",
             serum_strata(cohort, plan.population.high_fraction), feng.low, feng.high, "check (not calibrated)"),
            ("hazard ratio of relapse, tumour IL-6 high vs low (F8's strata)", cohort, float("nan"), float("nan"),
             "F8 (its direction)")):
        hr = hazard_ratio_row(dfs_table(split), HIGH, LOW)
        rows.append({"quantity": quantity, "model": hr["hr"], "model_low": hr["hr_low"], "model_high": hr["hr_high"],
                     "low": low, "high": high, "use": use})
    out = pd.DataFrame(rows)
    out["inside"] = ((out["model"] >= out["low"]) & (out["model"] <= out["high"])).where(out["low"].notna())
    return out
