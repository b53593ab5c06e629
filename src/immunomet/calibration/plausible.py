"""Plausible populations: parameter sets, drawn within their priors, for which the findings hold.

The study's own numbers are not public, so the model is constrained by the findings it reported
(F1-F7). A parameter set is *plausible* when a well-powered, paired virtual replicate of the
default study (``PlausibilityCheck``: 20 mice per arm, animal i the same virtual animal in every
arm, the study's seed fixed for every set, so the verdict depends on the parameters only)
reproduces every required finding as the findings checklist itself tests it (``analysis.findings``:
Holm-adjusted tests in the paper's direction, "similar" within bounds). With
``significance=False`` only the effect directions are required; that admits sets whose effects
are too small for any published-size experiment to have seen (docs/calibration.md measures
this). How often a published-size experiment would detect each finding is reported per
plausible set (``robustness``). F9 is a prediction and F8 a patient statement: neither
constrains the population; both are reported over it.

Two samplers, both uniform in log10 within the priors:

- ``screen``: independent draws from the priors (virtual-population selection, Allen et al.
  2016, CPT Pharmacometrics Syst Pharmacol 5:140); gives the prior's acceptance rate and each
  finding's pass rate, i.e. how much the priors alone imply it;
- ``walk``: a random-walk Metropolis chain whose target is the prior restricted to the plausible
  region (ABC-MCMC with a zero-tolerance indicator, Marjoram et al. 2003, PNAS 100:15324): a move
  is accepted iff the proposed set is plausible. Started from the model's defaults; the step is
  adapted during burn-in towards a 25% move acceptance.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from functools import partial

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ..analysis.findings import ALPHA, FINDINGS, check_findings
from ..errors import ImmunometError, SpecError
from ..jobs import MapJob, make_executor, run_job
from ..provenance import software_versions
from ..studies import StudyPlan, load_builtin, plan_study, run_study
from .population import CHAIN, PRIOR, PlausiblePopulation
from .sensitivity import salib_problem

REQUIRED = ("F1", "F2", "F3", "F4", "F5", "F6", "F7")
REPLICATE_ANIMALS = 20  # per arm, paired: the defaults pass F1-F7 at seeds 2019, 2, 3 (seed 1: F1 liver weight
#                         p = 0.15); at 12 per arm F5 fails at 3 of 4 seeds


def calibrated_parameters(model) -> tuple[str, ...]:
    """The parameters whose defaults were calibrated to the findings (their source says so)."""
    return tuple(n for n, p in model.parameters.items() if p.source.startswith("calibrated"))


@dataclass(frozen=True)
class PlausibilityCheck:
    """Whether a parameter set reproduces the ``required`` findings in ``plan`` (its seed fixed)."""

    plan: StudyPlan
    required: tuple[str, ...] = REQUIRED
    significance: bool = True

    @classmethod
    def default(cls, animals: int = REPLICATE_ANIMALS, engine: str = "auto", required=REQUIRED,
                significance: bool = True) -> "PlausibilityCheck":
        """The built-in study's observed arms (no predictions part) with ``animals`` per arm, paired."""
        plan = plan_study(load_builtin()).with_animals(animals).with_engine(engine).with_pairing()
        plan = replace(plan, arms=tuple(a for a in plan.arms if a.part != "predictions"))
        return cls(plan, tuple(required), significance)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.required) - {f.id for f in FINDINGS if f.evaluable_on_mice})
        if unknown:
            raise SpecError(f"required: unknown or non-mouse findings {', '.join(unknown)}; use some of "
                            f"{', '.join(f.id for f in FINDINGS if f.evaluable_on_mice)}")

    def verdicts(self, values: dict[str, float]) -> dict[str, str]:
        """PASS/FAIL per required finding for the model with ``values``; a run with failed
        animals fails every finding (the set is not trusted)."""
        results = self.results(values)
        return dict.fromkeys(self.required, "FAIL") if results is None else {r.id: r.status for r in results}

    def results(self, values: dict[str, float]):
        """The checklist's FindingResults for the set, or None if any animal's solve failed."""
        plan = replace(self.plan, model=self.plan.model.with_parameters(values))
        result = run_study(plan)
        if result.n_failed:
            return None
        findings = [f for f in FINDINGS if f.id in self.required]
        return check_findings(result, plan, findings=findings, significance=self.significance)

    def plausible(self, values: dict[str, float]) -> tuple[bool, dict[str, str]]:
        verdicts = self.verdicts(values)
        return all(v == "PASS" for v in verdicts.values()), verdicts

    def penalty(self, values: dict[str, float]) -> float:
        """How far the set is from plausible: the summed ``shortfall`` of its criteria (0 iff plausible)."""
        results = self.results(values)
        alpha = ALPHA if self.significance else None
        return float("inf") if results is None else sum(shortfall(r.criteria, alpha=alpha) for r in results)


def shortfall(criteria: pd.DataFrame, cap: float = 5.0, alpha: float | None = None) -> float:
    """Sum over criteria of how far each effect estimate misses the paper's direction, in log
    units (a "similar" criterion: its ratio beyond log(bound); survival: log HR); with
    ``alpha``, plus how many decades a criterion's adjusted p lies above it; plus 0.1 per
    criterion that fails for any other reason. 0 iff all pass."""
    total = 0.0
    for row in criteria.to_dict("records"):
        est = row["estimate"]
        log_est = np.log(est) if np.isfinite(est) and est > 0 else (-cap if est == 0 else cap)
        if row["direction"] == "similar":
            miss = abs(log_est) - np.log(row["bound"])
        else:
            miss = -log_est if row["direction"] == "higher" else log_est
        if alpha is not None and np.isfinite(row.get("p_adjusted", np.nan)):
            miss = max(miss, 0.0) + max(np.log10(row["p_adjusted"] / alpha), 0.0)
        total += min(max(miss, 0.0), cap) + (0.0 if row["passed"] else 0.1)
    return total


def log_bounds(model, names) -> tuple[list[str], np.ndarray, np.ndarray]:
    problem = salib_problem(model, names)
    lows, highs = np.array(problem["bounds"]).T
    return problem["names"], lows, highs


def to_values(model, names, x: np.ndarray) -> dict[str, float]:
    """log10 coordinates -> parameter values, kept inside the priors despite round-off."""
    return {n: float(np.clip(10.0 ** v, *model.parameters[n].prior)) for n, v in zip(names, x)}


def prior_draws_table(model, names, n: int, seed: int) -> pd.DataFrame:
    """``n`` sets: a scrambled Latin hypercube, uniform in log10 over the priors of ``names``."""
    names, lows, highs = log_bounds(model, names)
    unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(n)
    return pd.DataFrame([to_values(model, names, row) for row in lows + unit * (highs - lows)], columns=names)


def screen(check: PlausibilityCheck, candidates: pd.DataFrame, progress: bool = False) -> pd.DataFrame:
    """One row per candidate: its values, each finding's verdict and ``plausible`` (a run-core job)."""
    items = tuple(enumerate(candidates.to_dict("records")))
    job = MapJob("prior", partial(_screen_one, check), items, "set")
    return run_job(job, progress=progress)


def _screen_one(check: PlausibilityCheck, item) -> pd.DataFrame:
    step, values = item
    ok, verdicts = check.plausible(values)
    return pd.DataFrame([{"kind": PRIOR, "chain": -1, "step": step, **values, **verdicts, "plausible": ok,
                          "moved": False}])


@dataclass(frozen=True)
class ChainSettings:
    steps: int = 200
    burn_in: int = 50
    step: float = 0.05      # proposal SD as a fraction of each prior's log10 width (adapted in burn-in)
    target: float = 0.25    # move acceptance aimed at while adapting
    start_tries: int = 80   # (1+1)-ES evaluations to reach a plausible start if the start set is not


def walk(check: PlausibilityCheck, names, settings: ChainSettings, seed: np.random.SeedSequence | int,
         chain: int = 0, start: dict[str, float] | None = None, progress: bool = False,
         tick=None) -> pd.DataFrame:
    """One chain: a row per step with the proposal's verdicts, ``moved`` and the chain's state.
    ``tick``: called with 1 after each step (the run core's progress bar)."""
    from tqdm.auto import tqdm

    model = check.plan.model
    names, lows, highs = log_bounds(model, names)
    rng = np.random.default_rng(seed)
    x = find_start(check, names, lows, highs, rng, start, settings.start_tries)
    width, step, rows, recent = highs - lows, settings.step, [], []
    for i in tqdm(range(settings.steps), unit="step", desc=f"chain {chain}", disable=not progress):
        proposal = _reflect(x + step * width * rng.standard_normal(len(x)), lows, highs)
        values = to_values(model, names, proposal)
        ok, verdicts = check.plausible(values)
        if ok:
            x = proposal
        recent.append(ok)
        if i < settings.burn_in and len(recent) == 10:
            step *= float(np.exp(np.mean(recent) - settings.target))  # Robbins-Monro-like, on log step
            recent = []
        rows.append({"kind": CHAIN, "chain": chain, "step": i, **values, **verdicts, "plausible": ok, "moved": ok,
                     "step_size": step, **{f"state:{n}": v for n, v in to_values(model, names, x).items()}})
        if tick is not None:
            tick(1)
    return pd.DataFrame(rows)


def find_start(check, names, lows, highs, rng, start=None, tries: int = 60) -> np.ndarray:
    """The chain's first state: ``start`` (default: the model's values) if plausible; otherwise a
    (1+1) evolution strategy from it on the findings' shortfall (``shortfall``), stopping at the
    first plausible set, within ``tries`` evaluations."""
    model = check.plan.model
    x = np.log10([(start or {}).get(n, model.parameters.value(n)) for n in names])
    if np.any(x < lows) or np.any(x > highs):
        raise ImmunometError("the chain's start lies outside the priors")
    penalty, sigma = check.penalty(to_values(model, names, x)), 0.02
    for _ in range(tries):
        if penalty == 0.0:
            return x
        trial = _reflect(x + sigma * (highs - lows) * rng.standard_normal(len(x)), lows, highs)
        value = check.penalty(to_values(model, names, trial))
        better = value <= penalty
        if better:
            x, penalty = trial, value
        sigma *= 1.5 if better else 0.9  # the 1/5th success rule
    if penalty == 0.0:
        return x
    raise ImmunometError(f"no plausible start found in {tries} evaluations from the start set (shortfall "
                         f"{penalty:.3g}); give a plausible start or fewer required findings")


def _reflect(x: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """Fold a proposal back into the box (keeps the random walk symmetric)."""
    span = highs - lows
    y = np.mod(x - lows, 2 * span)
    return lows + np.where(y > span, 2 * span - y, y)


def walk_chains(check: PlausibilityCheck, names, settings: ChainSettings, chains: int, seed: int,
                workers: int = 1, progress: bool = False) -> pd.DataFrame:
    """``chains`` independent chains (one seed stream each), over ``workers`` processes (a run-core
    job; each chain reports its steps to one progress bar)."""
    streams = np.random.SeedSequence(seed).spawn(chains)
    job = MapJob(f"{chains} chains", partial(_walk_item, check, tuple(names), settings), tuple(enumerate(streams)),
                 "step", (settings.steps,) * chains, reports_ticks=True)
    kind = "processes" if workers > 1 and chains > 1 else "inline"
    with make_executor(kind, min(workers, chains)) as executor:
        return run_job(job, executor=executor, progress=progress)


def _walk_item(check, names, settings, item, tick) -> pd.DataFrame:
    chain, stream = item
    return walk(check, names, settings, stream, chain, tick=tick)


def calibrate(check: PlausibilityCheck, names=None, *, prior_draws: int = 0, chains: int = 2,
              settings: ChainSettings = ChainSettings(), seed: int = 0, workers: int = 1,
              progress: bool = False) -> PlausiblePopulation:
    """A plausible population of ``names`` (default: the calibrated parameters): ``prior_draws``
    independent draws screened, and ``chains`` chains of ``settings.steps`` steps from the defaults."""
    started, model = time.perf_counter(), check.plan.model
    names = tuple(log_bounds(model, names or calibrated_parameters(model))[0])
    prior_seed, chain_seed = np.random.SeedSequence(seed).generate_state(2)
    tables = []
    if prior_draws:
        tables.append(screen(check, prior_draws_table(model, names, prior_draws, int(prior_seed)), progress))
    if chains:
        tables.append(walk_chains(check, names, settings, chains, int(chain_seed), workers, progress))
    if not tables:
        raise SpecError("calibrate: give prior draws or chains (both are 0)")
    provenance = {"model": model.name, "model_hash": model.hash, "study": check.plan.name,
                  "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), **software_versions(),
                  "parameters": {n: model.parameters.value(n) for n in model.parameters},
                  "animals_per_arm": check.plan.arms[0].animals, "study_seed": check.plan.seed, "seed": seed,
                  "prior_draws": prior_draws, "chains": chains, "settings": asdict(settings),
                  "significance": check.significance, "engine": check.plan.engine,
                  "wall_seconds": round(time.perf_counter() - started, 1)}
    return PlausiblePopulation(pd.concat(tables, ignore_index=True), names,
                               {n: model.parameters[n].prior for n in names},
                               {n: model.parameters.value(n) for n in names}, check.required,
                               settings.burn_in if chains else 0, provenance)
