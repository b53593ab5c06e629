"""One calibration from start to end: the targets, which parameters they can inform, the posterior
of those, and the defaults it implies (``calibrate_model``). ``CalibrationResult`` prints,
tabulates, saves with provenance and gives the parameter-table edits (``default_edits``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..provenance import software_versions, utc_now
from .defaults import calibrated_source, fixed_source
from .identifiability import Estimability, candidate_parameters, rank_estimability, sensitivity_matrix
from .objective import CalibrationProblem
from .posterior import PosteriorSample, SamplerSettings, sample_posterior
from .targets import Z95, calibration_targets


@dataclass(frozen=True)
class CalibrationSettings:
    """``cutoff`` of the estimability ranking; the sampler's settings."""

    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    cutoff: float = 1.0
    engine: str = "auto"


@dataclass
class CalibrationResult:
    problem: CalibrationProblem
    estimability: Estimability
    posterior: PosteriorSample
    settings: CalibrationSettings

    def median(self) -> dict[str, float]:
        return self.posterior.median()

    def targets_table(self) -> pd.DataFrame:
        """Each target at the model's previous values and at the posterior median: the quantity
        (magnitudes) or log ratio (findings), the published range or the bound, inside or not."""
        x = np.vstack([self.problem.defaults(), self.problem.to_scale(np.array(list(self.median().values())))])
        values = self.problem.target_values(x)
        terms = self.problem.terms(x)
        rows = []
        for t in self.problem.targets:
            if t.shape == "lognormal":
                low, high = np.exp(t.centre - Z95 * t.sigma), np.exp(t.centre + Z95 * t.sigma)
                shown = values[t.id]
            else:
                low, high = np.exp(t.low), np.exp(t.high)
                shown = np.exp(values[t.id])  # a ratio
            rows.append({"target": t.id, "kind": t.kind, "what": t.describe(), "low": low, "high": high,
                         "previous": float(shown.iloc[0]), "calibrated": float(shown.iloc[1]),
                         "inside": bool(low <= shown.iloc[1] <= high), "log_likelihood": float(terms[t.id].iloc[1])})
        return pd.DataFrame(rows)

    def default_edits(self) -> tuple[dict[str, float], dict[str, str]]:
        """(values, sources) for the parameter table: estimated parameters at their posterior median;
        candidates whose values came from an earlier calibration, fixed with the reason."""
        summary = self.posterior.summary().set_index("parameter")
        values, sources = {}, {}
        params = self.problem.model.parameters
        for name, value in self.median().items():
            s = summary.loc[name]
            note = (f"{len(self.posterior.values())} draws, 90% interval {s['q05']:.3g}-{s['q95']:.3g}, ESS "
                    f"{min(s['ess_bulk'], s['ess_tail']):.0f}, R-hat {s['r_hat']:.3f}; docs/calibration.md")
            values[name] = value
            sources[name] = calibrated_source(params[name].source, note)
        table = self.estimability.table.set_index("parameter")
        for name in self.estimability.fixed:
            if params[name].source.lower().startswith(("calibrated", "fixed")):
                note = (f"estimability remainder {table.loc[name, 'remainder']:.2g} < {self.estimability.cutoff:g}; "
                        "value from an earlier search on F1-F7, docs/calibration.md")
                sources[name] = fixed_source(params[name].source, note)
        return values, sources

    def __str__(self) -> str:
        with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 70):
            return "\n\n".join([str(self.estimability.table.head(len(self.estimability.estimable) + 5).to_string(
                index=False, float_format=lambda v: f"{v:.3g}")), str(self.posterior),
                self.targets_table().drop(columns="what").to_string(index=False, float_format=lambda v: f"{v:.3g}")])

    def save(self, folder: str | Path) -> Path:
        folder = self.posterior.save(folder)
        self.estimability.table.to_csv(folder / "estimability.csv", index=False)
        self.targets_table().to_csv(folder / "targets.csv", index=False)
        model = self.problem.model
        meta = {"model": model.name, "model_hash": model.hash, "finished": utc_now(), **software_versions(),
                "settings": {"cutoff": self.settings.cutoff, "engine": self.settings.engine}, "estimated": list(self.problem.names),
                "cutoff": self.estimability.cutoff, "targets": [t.id for t in self.problem.targets],
                "median": self.median()}
        (folder / "calibration.json").write_text(json.dumps(meta, indent=1, default=str))
        return folder


def calibration_problem(plan, names=None, engine: str = "auto") -> CalibrationProblem:
    """The problem on the built-in study ``plan``: every target, ``names`` estimated (default: every
    candidate, for the estimability ranking)."""
    names = candidate_parameters(plan.model) if names is None else names
    return CalibrationProblem(plan.model, tuple(names), tuple(calibration_targets(plan)), endpoint=plan.endpoint,
                              engine=engine)


def calibrate_model(plan, settings: CalibrationSettings = CalibrationSettings(), *,
                    progress: bool = False) -> CalibrationResult:
    """Rank the candidates' estimability at the current values, then sample the posterior of the
    estimable ones (the rest stay fixed)."""
    full = calibration_problem(plan, engine=settings.engine)
    estimability = rank_estimability(sensitivity_matrix(full), settings.cutoff)
    problem = calibration_problem(plan, estimability.estimable, settings.engine)
    posterior = sample_posterior(problem, settings.sampler, progress=progress)
    return CalibrationResult(problem, estimability, posterior, settings)
