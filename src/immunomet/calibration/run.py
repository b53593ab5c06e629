"""One calibration from start to end: the targets, which parameters they can inform, the posterior
of those, and the defaults it implies (``calibrate_model``). ``CalibrationResult`` prints,
tabulates, saves with provenance and gives the parameter-table edits (``default_edits``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..provenance import software_versions, utc_now
from .defaults import calibrated_source, fixed_source
from .identifiability import Estimability, candidate_parameters, rank_estimability, sensitivity_matrix
from .objective import CalibrationProblem, GroupSettings
from .posterior import PosteriorSample, SamplerSettings, sample_posterior
from .targets import Z95, calibration_targets


@dataclass(frozen=True)
class CalibrationSettings:
    """``cutoff`` of the estimability ranking; ``max_share``: a parameter whose 90% posterior
    interval in the first posterior covers more than this share of its prior width is not
    identifiable in practice and is fixed at its MAP value before the final posterior (1 keeps
    every estimable parameter); the sampler's settings; ``group_animals`` > 0 puts the targets on
    the median of that many virtual animals spread as in the study (``objective.GroupSettings``)
    instead of the typical animal. ``parameters`` (names) skips the search and the screens and samples
    the posterior of exactly these from the model's current values, every other parameter as it is:
    a longer chain on the final set of an earlier calibration whose values are the defaults."""

    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    cutoff: float = 1.0
    engine: str = "auto"
    max_share: float = 0.5
    group_animals: int = 0
    parameters: tuple[str, ...] = ()


SEARCH_FLOOR = 10.0  # target uncertainties per prior width below which a candidate is not searched
# a parameter the targets cannot inform goes back to its sourced value while the log-posterior stays
# within this of the MAP's (0.5: the 68% profile-likelihood cut-off, a likelihood ratio of 1.65)
RESTORE_TOLERANCE = 0.5


@dataclass
class CalibrationResult:
    """``problem``: the estimated parameters on the model at the MAP (``problem.model``: the search's
    parameters at their MAP values); ``searched``: the parameters of the MAP search; ``previous``:
    the model before calibration."""

    problem: CalibrationProblem
    estimability: Estimability
    posterior: PosteriorSample
    settings: CalibrationSettings
    searched: tuple[str, ...] = ()
    previous: object = None
    screen: pd.DataFrame | None = None  # the first posterior's summary (when max_share fixed some)
    restored: dict = field(default_factory=dict)  # not estimable, back at their value before the search: MAP value

    def widely_spread(self) -> list[str]:
        """Estimable parameters fixed at the MAP because the first posterior left them too wide."""
        if self.screen is None:
            return []
        return [n for n in self.screen["parameter"] if n not in self.problem.names]

    def median(self) -> dict[str, float]:
        return self.posterior.median()

    def targets_table(self) -> pd.DataFrame:
        """Each target with the previous values and at the posterior median: the quantity
        (magnitudes) or the ratio (findings), the published range or the bound, inside or not."""
        problem = self.problem
        previous = replace(problem, model=self.previous) if self.previous is not None else problem
        median = problem.to_scale(np.array([self.median()[n] for n in problem.names]))
        before, after = previous.target_values(previous.defaults()[None]), problem.target_values(median[None])
        terms = problem.terms(median[None])
        rows = []
        for t in problem.targets:
            if t.shape == "lognormal":
                low, high = np.exp(t.centre - Z95 * t.sigma), np.exp(t.centre + Z95 * t.sigma)
                shown = (float(before[t.id].iloc[0]), float(after[t.id].iloc[0]))
            else:
                low, high = np.exp(t.low), np.exp(t.high)
                shown = (float(np.exp(before[t.id].iloc[0])), float(np.exp(after[t.id].iloc[0])))  # ratios
            rows.append({"target": t.id, "kind": t.kind, "what": t.describe(), "low": low, "high": high,
                         "previous": shown[0], "calibrated": shown[1], "inside": bool(low <= shown[1] <= high),
                         "log_likelihood": float(terms[t.id].iloc[0])})
        return pd.DataFrame(rows)

    def default_edits(self) -> tuple[dict[str, float], dict[str, str]]:
        """(values, sources) for the parameter table: estimated parameters at their posterior median;
        searched ones the targets cannot inform at their MAP value; candidates whose values came from an
        earlier calibration keep them, and each says why."""
        summary = self.posterior.summary().set_index("parameter")
        values, sources = {}, {}
        params = (self.previous or self.problem.model).parameters
        for name, value in self.median().items():
            s = summary.loc[name]
            note = (f"{len(self.posterior.values())} draws, 90% interval {s['q05']:.3g}-{s['q95']:.3g}, ESS "
                    f"{min(s['ess_bulk'], s['ess_tail']):.0f}, R-hat {s['r_hat']:.3f}; docs/calibration.md")
            values[name] = value
            sources[name] = calibrated_source(params[name].source, note)
        table = self.estimability.table.set_index("parameter")
        at_map = self.problem.model.parameters
        for name in self.estimability.fixed:
            values[name] = at_map[name].value
            note = uninformed_note(table.loc[name, "remainder"], self.estimability.cutoff, name in self.restored)
            sources[name] = fixed_source(params[name].source, note)
        screen = self.screen.set_index("parameter") if self.screen is not None else None
        for name in self.widely_spread():
            values[name] = at_map[name].value
            note = (f"its 90% interval in the first posterior ({len(screen)} parameters) covered "
                    f"{screen.loc[name, 'interval_share']:.0%} of the prior, more than {self.settings.max_share:.0%}: "
                    "the targets hardly narrow it; set to its MAP value, docs/calibration.md")
            sources[name] = fixed_source(params[name].source, note)
        for name in () if self.settings.parameters else candidate_parameters(self.problem.model):
            if name not in self.searched and params[name].source.lower().startswith(("calibrated", "fixed")):
                sources[name] = fixed_source(params[name].source, f"targets move it by less than {SEARCH_FLOOR:g} "
                                             "uncertainties over its prior; value from an earlier search on F1-F7")
        return values, sources

    def __str__(self) -> str:
        with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", 70):
            spread = self.widely_spread()
            screen = (f"first posterior: {len(spread)} of {len(self.screen)} estimable parameters kept a 90% interval "
                      f"wider than {self.settings.max_share:.0%} of the prior and stay at the MAP: {', '.join(spread)}"
                      if spread else "")
            restored = (f"not estimable, back at their values before the search: {', '.join(self.restored)}"
                        if self.restored else "")
            return "\n\n".join([str(self.estimability.table.head(len(self.estimability.estimable) + 5).to_string(
                index=False, float_format=lambda v: f"{v:.3g}")), *([restored] if restored else []),
                *([screen] if screen else []), str(self.posterior),
                self.targets_table().drop(columns="what").to_string(index=False, float_format=lambda v: f"{v:.3g}")])

    def save(self, folder: str | Path) -> Path:
        folder = self.posterior.save(folder)
        self.estimability.table.to_csv(folder / "estimability.csv", index=False)
        if self.screen is not None:
            self.screen.to_csv(folder / "first_posterior.csv", index=False)
        self.targets_table().to_csv(folder / "targets.csv", index=False)
        model = self.problem.model
        meta = {"model": model.name, "model_hash": model.hash, "finished": utc_now(), **software_versions(),
                "settings": {"cutoff": self.settings.cutoff, "engine": self.settings.engine,
                             "group_animals": self.settings.group_animals,
                             "parameters": list(self.settings.parameters)}, "estimated": list(self.problem.names),
                "cutoff": self.estimability.cutoff, "targets": [t.id for t in self.problem.targets],
                "searched": list(self.searched), "search_floor": SEARCH_FLOOR,
                "max_share": self.settings.max_share, "widely_spread": self.widely_spread(),
                "restored": sorted(self.restored),
                "map": {n: self.restored.get(n, self.problem.model.parameters[n].value) for n in self.searched},
                "median": self.median()}
        (folder / "calibration.json").write_text(json.dumps(meta, indent=1, default=str))
        return folder


def calibration_problem(plan, names=None, engine: str = "auto", model=None, group_animals: int = 0
                        ) -> CalibrationProblem:
    """The problem on the built-in study ``plan``: every target, ``names`` estimated (default: every
    candidate), on ``model`` (default: the plan's); with ``group_animals`` the targets are on groups
    of that many animals spread as the plan's (``objective.GroupSettings``)."""
    model = model or plan.model
    names = candidate_parameters(model) if names is None else names
    group = GroupSettings(group_animals, plan.variability) if group_animals else None
    return CalibrationProblem(model, tuple(names), tuple(calibration_targets(plan)), endpoint=plan.endpoint,
                              engine=engine, group=group)


def calibrate_model(plan, settings: CalibrationSettings = CalibrationSettings(), *,
                    progress: bool = False) -> CalibrationResult:
    """Four stages (docs/calibration.md); with ``settings.parameters`` only the posterior of those:

    1. search: the candidates whose sensitivity at the current values reaches ``SEARCH_FLOOR``
       target uncertainties per prior width; their joint MAP by CMA-ES from the current values;
    2. estimability at that MAP (orthogonalised sensitivities, ``cutoff``): parameters below it
       are fixed, each back at its value before the search while the log-posterior stays within
       ``RESTORE_TOLERANCE`` of the MAP's (``restore_uninformed``), else at the MAP;
    3. the posterior of the estimable ones by emcee, from the MAP;
    4. contraction: estimable parameters whose 90% interval still covers more than ``max_share`` of
       the prior width are fixed at the MAP, and the rest sampled again (the final posterior).
    """
    from tqdm.auto import tqdm

    from .posterior import find_map

    def problem_of(names, model=None) -> CalibrationProblem:
        return calibration_problem(plan, names, settings.engine, model, settings.group_animals)

    if settings.parameters:
        return _sample_named(plan, settings, problem_of(_known_candidates(plan.model, settings.parameters)), progress)
    full = problem_of(None)
    norms = np.linalg.norm(sensitivity_matrix(full).to_numpy(), axis=0)
    search = problem_of([n for n, v in zip(full.names, norms) if v >= SEARCH_FLOOR])
    with tqdm(total=settings.sampler.map_iterations, desc="MAP (CMA-ES)", unit="gen", disable=not progress) as b:
        x_map = find_map(search, search.defaults(), settings.sampler.map_iterations, settings.sampler.seed, b.update)
    at_map = plan.model.with_parameters(dict(zip(search.names, search.to_values(x_map))))
    estimability = rank_estimability(
        sensitivity_matrix(problem_of(search.names, at_map)), settings.cutoff)
    previous = plan.model.parameters
    at_map, restored = restore_uninformed(problem_of(search.names, at_map), previous, estimability.fixed)

    def sample(problem):
        posterior = sample_posterior(problem, settings.sampler, start=problem.defaults(), progress=progress)
        posterior.scales["defaults"] = [previous[n].value for n in problem.names]  # before calibration
        return posterior

    problem = problem_of(estimability.estimable, at_map)
    posterior, screen = sample(problem), None
    shares = posterior.interval_shares()
    narrow = [n for n in problem.names if shares[n] <= settings.max_share]
    if narrow and len(narrow) < len(problem.names):
        screen = posterior.summary()
        problem = problem_of(narrow, at_map)
        posterior = sample(problem)
    return CalibrationResult(problem, estimability, posterior, settings, search.names, plan.model, screen, restored)


def uninformed_note(remainder: float, cutoff: float, restored: bool) -> str:
    """The source note of a parameter that is not estimable at the MAP."""
    kept = (f"keeps its value before the search (log-posterior within {RESTORE_TOLERANCE:g} of the MAP's)"
            if restored else "set to its MAP value")
    return f"estimability remainder {remainder:.2g} < {cutoff:g} at the MAP; {kept}, docs/calibration.md"


def restore_uninformed(problem: CalibrationProblem, previous, names, tolerance: float = RESTORE_TOLERANCE):
    """(model, {restored name: its MAP value}): ``problem.model`` (the search's MAP) with each of ``names`` (the
    ranking's order; the least informative is tried first) back at its value in ``previous`` (the
    parameters before the search, i.e. what its source gives) as long as the log-posterior stays
    within ``tolerance`` of the MAP's. The targets cannot inform these parameters one by one, so the
    MAP's value of each is where the search happened to leave it; together they may still matter
    (e.g. two ways of making tumour-made IL-6 negligible), and the tolerance keeps that."""
    def log_posterior(model) -> float:
        moved = replace(problem, model=model)
        return float(moved.log_posterior(moved.defaults()[None])[0])

    model, restored = problem.model, {}
    floor = log_posterior(model) - tolerance
    for name in reversed(list(names)):
        candidate = model.with_parameters({name: previous[name].value})
        if log_posterior(candidate) >= floor:
            restored[name] = float(model.parameters[name].value)
            model = candidate
    return model, restored


def _known_candidates(model, names) -> list[str]:
    candidates = candidate_parameters(model)
    unknown = [n for n in names if n not in candidates]
    if unknown:
        raise SpecError(f"parameters: {', '.join(unknown)} cannot be calibrated; choose from {', '.join(candidates)}")
    return list(dict.fromkeys(names))


def _sample_named(plan, settings: CalibrationSettings, problem: CalibrationProblem, progress: bool
                  ) -> CalibrationResult:
    """``calibrate_model`` with ``settings.parameters``: the posterior of those, from the current values;
    their ranking is reported, and each is sampled whatever its remainder (the caller chose them)."""
    ranking = rank_estimability(sensitivity_matrix(problem), settings.cutoff)
    ranking.table["estimable"] = True
    posterior = sample_posterior(problem, settings.sampler, start=problem.defaults(), progress=progress)
    return CalibrationResult(problem, ranking, posterior, settings, problem.names, plan.model)
