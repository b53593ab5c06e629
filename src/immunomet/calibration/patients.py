"""The patient model calibrated on the same principles as the mouse model: one published magnitude
(3-year disease-free survival of resected stage III colon cancer, ``models/data/magnitudes.yaml``,
use: calibration) informs one parameter, the basal loss of occult cancer cells ``d_tumour`` (the
patient table's only value chosen for the recurrence rate). With one parameter the posterior is
computed on a grid (exact quadrature, no sampler): the prior is uniform in log10 on the prior
range, the likelihood log-normal with the published range as its 95% interval (as for every
magnitude, ``targets``).

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

PARAMETER = "d_tumour"
TRIAL = "dfs_by_il6"


@dataclass(frozen=True)
class PatientCalibration:
    """The grid (value, DFS at 3 years, log-likelihood, posterior weight) and its summaries."""

    parameter: str
    grid: pd.DataFrame
    target: tuple[float, float]

    def quantile(self, q: float) -> float:
        cdf = np.cumsum(self.grid["weight"].to_numpy())
        return float(np.interp(q, cdf / cdf[-1], self.grid["value"]))

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    def __str__(self) -> str:
        low, high = self.target
        return (f"patients: {self.parameter} posterior median {self.median:.4g} (90% {self.quantile(0.05):.4g}-"
                f"{self.quantile(0.95):.4g}) from DFS at 3 years in {low:g}-{high:g} (grid of {len(self.grid)})")


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


def dfs_at_3_years(plan, values: np.ndarray, parameter: str = PARAMETER) -> np.ndarray:
    """Population DFS at 3 years for each value of ``parameter`` (the same patients throughout)."""
    arm = plan.arms[0]
    rows, seeds = [], []
    for v in values:
        model = plan.model.with_parameters({parameter: float(v)})
        patients = plan.population.draw(model, range(plan.patients_per_arm), plan.seed, arm.group)
        rows.append(patients.parameters)
        seeds += list(patients.colonisation_seeds)
    cohort = simulate_cohort(plan.model, arm.protocol, seeds, parameters=np.vstack(rows), options=plan.solver,
                             engine=plan.engine)
    days, curves = disease_free_curves(cohort)
    at = np.array([np.interp(3 * 365.25, days, c) for c in curves])
    return np.nanmean(at.reshape(len(values), plan.patients_per_arm), axis=1)


def calibrate_patients(mouse=None, *, points: int = 41, patients: int = 300, engine: str = "auto"
                       ) -> PatientCalibration:
    """The grid posterior of ``d_tumour`` given the 3-year DFS (module doc)."""
    plan = patient_plan(mouse, patients, engine=engine)
    low, high = plan.model.parameters[PARAMETER].prior
    values = np.logspace(np.log10(low), np.log10(high), points)
    dfs = dfs_at_3_years(plan, values)
    t_low, t_high, _ = dfs3y_target()
    centre, sigma = 0.5 * np.log(t_low * t_high), np.log(t_high / t_low) / (2 * Z95)
    with np.errstate(divide="ignore", invalid="ignore"):
        loglik = -0.5 * ((np.log(dfs) - centre) / sigma) ** 2 - np.log(dfs * sigma * np.sqrt(2 * np.pi))
    loglik = np.where(np.isfinite(loglik), loglik, -np.inf)
    weight = np.exp(loglik - loglik.max())  # uniform prior in log10 on an even log grid
    grid = pd.DataFrame({"value": values, "dfs_3y": dfs, "log_likelihood": loglik, "weight": weight / weight.sum()})
    return PatientCalibration(PARAMETER, grid, (t_low, t_high))
