"""``Fitter``: a model fitted to own data, with convergence, profile-likelihood CIs and plots; and
``synthetic_measurements``, data drawn from the model at known values (for recovery tests)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .fit import CHI2_95, SAME_OPTIMUM, Objective, minimise, profile, profile_interval, start_points
from .own_data import OwnDataProblem


class Fitter:
    """Maximum-likelihood fit of ``problem`` from several starts, then profiles of each estimate."""

    def __init__(self, problem: OwnDataProblem, engine: str = "auto"):
        self.problem = problem
        self.objective = Objective(problem, engine)
        self.starts: pd.DataFrame | None = None
        self.profiles: dict[str, pd.DataFrame] = {}
        self.best: np.ndarray | None = None
        self.best_nll = float("nan")

    def fit(self, starts: int = 5, seed: int = 0, profiles: bool = True, progress: bool = False) -> "Fitter":
        from tqdm.auto import tqdm

        p = self.problem
        rows = []
        for i, x0 in enumerate(tqdm(start_points(p, starts, seed), unit="start", desc="fit", disable=not progress)):
            res = minimise(self.objective, x0, p.scaled_bounds())
            rows.append({"start": i, "nll": float(res.fun), "converged": bool(res.success),
                         "iterations": int(res.nit), "message": str(res.message), **p.from_scaled(res.x)})
        self.starts = pd.DataFrame(rows).sort_values("nll").reset_index(drop=True)
        self.best = p.to_scaled(self.starts.iloc[0][p.names].to_dict())
        self.best_nll = float(self.starts["nll"].iloc[0])
        if profiles:
            for j, name in enumerate(tqdm(p.names, unit="parameter", desc="profiles", disable=not progress)):
                self.profiles[name] = profile(self.objective, self.best, self.best_nll, j)
        return self

    @property
    def estimates(self) -> dict[str, float]:
        return self.problem.from_scaled(self.best)

    @property
    def starts_at_best(self) -> int:
        return int((self.starts["nll"] - self.best_nll < SAME_OPTIMUM).sum())

    @property
    def status(self) -> str:
        """"converged" if the best start's optimiser converged and another start reached the same
        optimum; otherwise what is missing."""
        if not self.starts["converged"].iloc[0]:
            return f"not converged ({self.starts['message'].iloc[0]})"
        if self.starts_at_best < 2 and len(self.starts) > 1:
            return "converged, but only one start reached the best optimum: use more starts"
        return "converged"

    @property
    def summary(self) -> pd.DataFrame:
        """Per estimated parameter: scale, bounds, estimate, 95% profile CI and identifiability."""
        rows = []
        est = self.problem.estimated.set_index("parameterId")
        for j, name in enumerate(self.problem.names):
            row = {"parameter": name, "scale": est.loc[name, "parameterScale"], "lower": est.loc[name, "lowerBound"],
                   "upper": est.loc[name, "upperBound"], "estimate": self.estimates[name]}
            if name in self.profiles:
                lo, hi = profile_interval(self.profiles[name], self.best[j])
                scale = row["scale"]
                row |= {"ci_low": 10**lo if scale == "log10" else lo, "ci_high": 10**hi if scale == "log10" else hi,
                        "identifiable": "yes" if np.isfinite(lo) and np.isfinite(hi) else
                        ("no" if not (np.isfinite(lo) or np.isfinite(hi)) else "one-sided")}
            rows.append(row)
        return pd.DataFrame(rows)

    def fitted(self) -> pd.DataFrame:
        """The measurements with the fitted model's prediction beside each."""
        pred = self.objective.predictions([self.estimates])[0]
        return self.problem.measurements.assign(prediction=pred)

    def __str__(self) -> str:
        with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
            return (f"fit of {len(self.problem.measurements)} measurements, {len(self.problem.names)} parameters: "
                    f"{self.status}; -log L {self.best_nll:.4g}, best optimum from {self.starts_at_best} of "
                    f"{len(self.starts)} starts; {self.objective.evaluations} model evaluations\n"
                    + self.summary.to_string(index=False))

    def plot(self):
        from .plotting import fit_figure

        return fit_figure(self)

    def save(self, folder: str | Path) -> Path:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        self.summary.to_csv(out / "estimates.csv", index=False)
        self.starts.to_csv(out / "starts.csv", index=False)
        self.fitted().to_csv(out / "fitted.csv", index=False)
        for name, table in self.profiles.items():
            table.to_csv(out / f"profile_{name}.csv", index=False)
        (out / "fit.json").write_text(json.dumps({
            "problem": self.problem.source, "status": self.status, "nll": self.best_nll,
            "estimates": self.estimates, "model": self.problem.model.name, "model_hash": self.problem.model.hash,
            "engine": self.objective.engine, "threshold": CHI2_95}, indent=2))
        return out


def synthetic_measurements(problem: OwnDataProblem, true_values: dict[str, float], design: pd.DataFrame,
                           replicates: int, seed: int) -> pd.DataFrame:
    """Measurements drawn from the problem's noise models around the model's predictions at
    ``true_values``: ``replicates`` animals per row of ``design`` (observableId, conditionId, time)."""
    rows = design.loc[design.index.repeat(replicates)].reset_index(drop=True).assign(measurement=0.0)
    objective = Objective(OwnDataProblem(problem.conditions, problem.observables, rows, problem.parameters,
                                         problem.model))
    values = problem.nominal() | true_values
    pred = objective.predictions([true_values])[0]
    rng = np.random.default_rng(seed)
    obs = problem.observables.set_index("observableId")
    out = np.empty(len(rows))
    for i, (obs_id, m) in enumerate(zip(rows["observableId"], pred)):
        dist, spec = obs.loc[obs_id, "noiseDistribution"], obs.loc[obs_id, "noiseParameter"]
        noise = float(values[spec]) if spec in values else (float(spec) if spec else float("nan"))
        if dist == "normal":
            out[i] = m + noise * rng.standard_normal()
        elif dist == "lognormal":
            out[i] = m * np.exp(noise * rng.standard_normal())
        elif dist == "poisson":
            out[i] = rng.poisson(m)
        else:  # negative binomial as a gamma-Poisson mixture with shape k
            out[i] = rng.poisson(rng.gamma(noise, m / noise))
    return rows.assign(measurement=np.round(out, 4))
