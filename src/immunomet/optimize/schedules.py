"""``optimise``: search dosing schedules within bounds and budgets, then compare the best with
standard schedules on fresh virtual individuals, with bootstrap CIs of the paired differences.

The search is a seeded Latin-hypercube sample of the unit cube, then rounds of Gaussian steps
around the best candidates so far (shrinking each round). Every candidate is evaluated on the same
training cohort (common random numbers), in one batched simulation per round. The winners are
then re-evaluated with the standard schedules on a validation cohort the search never saw, so the
reported gain is not the optimiser's own selection bias.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import qmc

import pyarrow as pa

from ..cohorts.patients import PatientPopulation
from ..jobs import Job, Task, Tables, executor_for, run_job
from ..models import load_model
from ..random import animal_rng
from ..readouts.relapse import expected_disease_free
from ..readouts.survival import HumaneEndpoint, endpoint_days
from ..simulate.cohort import parameter_rows, resolve_engine, simulate_cohort
from ..spec import Injection, Protocol
from ..studies.trial import PATIENT_SOLVER
from .problem import GOALS, AgentBounds, Regimen, cohort_objective, decode

MOUSE_CELLS, MOUSE_READOUT_DAY, MOUSE_FOLLOW_UP = 1e5, 21.0, 60.0


@dataclass(frozen=True)
class ScheduleProblem:
    goal: str                          # dfs, dfs_years (patients); survival, nodules (mice)
    bounds: tuple[AgentBounds, ...]
    standards: tuple[Regimen, ...]
    individuals: int = 100
    seed: int = 0
    robust: str = "mean"
    engine: str = "auto"

    def __post_init__(self) -> None:
        cohort_objective(np.zeros((1, 1)), self.robust, True)  # an unknown robust measure fails here, not later

    @property
    def target(self) -> str:
        return GOALS[self.goal]

    @property
    def maximise(self) -> bool:
        return self.goal != "nodules"


class Cohort:
    """Fixed virtual individuals (patients or WT mice) on which regimens are compared."""

    def __init__(self, problem: ScheduleProblem, n: int, seed: int):
        self.problem = problem
        if problem.target == "patients":
            self.model = load_model("patient")
            patients = PatientPopulation().draw(self.model, range(n), seed, "optimise")
            self.parameters, self.seeds = patients.parameters, patients.colonisation_seeds
            self.injection, self.follow_up = Injection(cells=1e5), 5 * 365.25
            self.options = PATIENT_SOLVER
        else:
            from ..cohorts import Variability, animal_seeds_many
            from ..models import load_variability_table

            self.model, variability = load_model("mouse"), Variability.from_table(load_variability_table("mouse"))
            seeds = animal_seeds_many(seed, "optimise", range(n))
            names, values = variability.draw(self.model.parameters, [animal_rng(s.parameters) for s in seeds])
            self.parameters = parameter_rows(self.model, names, values, check=False)
            self.seeds = tuple(s.colonisation for s in seeds)
            self.injection, self.follow_up = Injection(cells=MOUSE_CELLS), MOUSE_FOLLOW_UP
            self.options = None

    def outcomes(self, regimens: list[Regimen], chunk: int = 1200) -> np.ndarray:
        """(regimens x individuals) outcomes; NaN where a solver failed (a run-core job)."""
        protocols = tuple(Protocol("wt", r.treatments(self.follow_up), self.injection, self.follow_up)
                          for r in regimens)
        job = OutcomeJob(self, protocols, chunk)
        with executor_for(resolve_engine(self.problem.engine)) as executor:
            return run_job(job, executor=executor)


@dataclass(frozen=True, eq=False)
class OutcomeJob(Job):
    """Every (regimen, individual) pair of a cohort, in chunks simulated together."""

    cohort: Cohort
    protocols: tuple[Protocol, ...]
    chunk: int = 1200

    unit = "simulation"

    @property
    def name(self) -> str:
        return "regimens"

    def pairs(self) -> int:
        return len(self.protocols) * len(self.cohort.parameters)

    def tasks(self) -> list[Task]:
        n = self.pairs()
        return [Task(k, min(start + self.chunk, n) - start, (start, min(start + self.chunk, n)))
                for k, start in enumerate(range(0, n, self.chunk))]

    def run_task(self, task: Task, tick=None) -> Tables:
        c, (start, stop) = self.cohort, task.key
        pair = np.arange(start, stop)
        regimen, individual = np.divmod(pair, len(c.parameters))
        cohort = simulate_cohort(c.model, [self.protocols[r] for r in regimen], [c.seeds[i] for i in individual],
                                 parameters=c.parameters[individual], options=c.options, engine=c.problem.engine)
        return {"outcomes": pa.table({"pair": pair, "outcome": np.where(cohort.ok, _outcomes(c.problem.goal, cohort),
                                                                          np.nan)})}

    def schemas(self) -> dict[str, pa.Schema]:
        return {"outcomes": pa.schema([("pair", pa.int64()), ("outcome", pa.float64())])}

    def finish(self, tables: dict) -> np.ndarray:
        out = np.full(self.pairs(), np.nan)
        out[tables["outcomes"]["pair"].to_numpy()] = tables["outcomes"]["outcome"].to_numpy(dtype=float)
        return out.reshape(len(self.protocols), len(self.cohort.parameters))


def _outcomes(goal: str, cohort) -> np.ndarray:
    """Each individual's expected outcome under its regimen (no random draw)."""
    if goal in ("dfs", "dfs_years"):
        p_free, days_free = expected_disease_free(cohort)
        return p_free if goal == "dfs" else days_free / 365.25
    if goal == "survival":
        return endpoint_days(cohort, HumaneEndpoint())[0]
    return cohort.colonisation.expected_visible(MOUSE_READOUT_DAY)


@dataclass
class ScheduleResult:
    """The search trace, the best regimens and their comparison with the standards."""

    problem: ScheduleProblem
    trace: pd.DataFrame           # evaluation, round, objective, best so far, regimen text
    comparison: pd.DataFrame      # validation: regimen, objective, difference vs each standard with CI
    best: list[Regimen] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """Regimen, objective on the validation individuals, paired differences with 95% CIs."""
        c = self.comparison
        out = c[["regimen", "objective"]].copy()
        for label in ("vs_untreated", "vs_best_standard"):
            out[label] = [f"{d:+.3g} ({lo:+.3g}, {hi:+.3g})" if d == d else "-"
                          for d, lo, hi in c[[label, f"{label}_low", f"{label}_high"]].to_numpy()]
        out["schedule"] = c["schedule"]
        return out

    def __str__(self) -> str:
        head = (f"ScheduleResult: {self.problem.target}, goal {self.problem.goal} ({self.problem.robust}); "
                f"{len(self.trace)} candidates on {self.problem.individuals} training individuals; compared on "
                f"{int(self.comparison['individuals'].iloc[0])} new ones (best standard: "
                f"{self.comparison.attrs.get('best_standard')})")
        return head + "\n" + self.table().to_string(index=False, float_format=lambda v: f"{v:.4g}")


def optimise(problem: ScheduleProblem, *, evaluations: int = 60, rounds: int = 3, validation: int = 300,
             keep: int = 3, progress: bool = False) -> ScheduleResult:
    """Search ``evaluations`` candidates on ``problem.individuals`` training individuals; compare the
    ``keep`` best with the standards on ``validation`` fresh individuals."""
    from tqdm.auto import tqdm

    rng = np.random.default_rng(problem.seed)
    dim = 4 * len(problem.bounds)
    train = Cohort(problem, problem.individuals, problem.seed)
    sign = 1.0 if problem.maximise else -1.0
    per_round = [evaluations - (rounds - 1) * (evaluations // (2 * max(rounds - 1, 1)))] + \
        [evaluations // (2 * max(rounds - 1, 1))] * (rounds - 1)
    xs, scores, trace = [], [], []
    with tqdm(total=evaluations, unit="schedule", desc="optimise", disable=not progress) as bar:
        for k, n in enumerate(per_round):
            if k == 0:
                cand = qmc.LatinHypercube(d=dim, seed=rng).random(n)
            else:
                top = np.array(xs)[np.argsort(-sign * np.array(scores))[:keep]]
                steps = rng.normal(0.0, 0.15 / 2 ** (k - 1), (n, dim))
                cand = np.clip(top[np.arange(n) % len(top)] + steps, 0.0, 1.0)
            regimens = [decode(problem.bounds, x) for x in cand]
            values = cohort_objective(train.outcomes(regimens), problem.robust, problem.maximise)
            for x, r, v in zip(cand, regimens, values):
                xs.append(x)
                scores.append(v)
                best = max(scores, key=lambda s: sign * s)
                trace.append({"evaluation": len(scores), "round": k + 1, "objective": v, "best": best,
                              "schedule": r.text()})
            bar.update(n)
    order = np.argsort(-sign * np.array(scores))
    best, seen = [], set()
    for i in order:
        text = decode(problem.bounds, xs[i]).text()
        if text not in seen:
            seen.add(text)
            best.append(decode(problem.bounds, xs[i], f"optimised #{len(best) + 1}"))
        if len(best) == keep:
            break
    comparison = compare_on_fresh(problem, best, validation, rng)
    return ScheduleResult(problem, pd.DataFrame(trace), comparison, best)


def compare_on_fresh(problem: ScheduleProblem, best: list[Regimen], n: int, rng: np.random.Generator,
                     boot: int = 2000) -> pd.DataFrame:
    """Each regimen's objective on ``n`` new individuals, and its paired difference from no
    treatment and from the best standard schedule there, with bootstrap 95% CIs over individuals."""
    fresh = Cohort(problem, n, problem.seed + 1_000_003)
    regimens = list(best) + list(problem.standards)
    outcomes = fresh.outcomes(regimens)
    values = cohort_objective(outcomes, problem.robust, problem.maximise)
    sign = 1.0 if problem.maximise else -1.0
    standards = range(len(best), len(regimens))
    best_std = max(standards, key=lambda s: sign * values[s])
    untreated = next((s for s in standards if not regimens[s].dosings), None)
    idx = rng.integers(0, n, (boot, n))
    rows = []
    for r, reg in enumerate(regimens):
        row = {"regimen": reg.name, "schedule": reg.text(), "objective": float(values[r]), "individuals": n}
        for label, s in (("vs_untreated", untreated), ("vs_best_standard", best_std)):
            if s is None or s == r:
                row |= {label: np.nan, f"{label}_low": np.nan, f"{label}_high": np.nan}
                continue
            boots = [_objective_difference(outcomes[r][i], outcomes[s][i], problem) for i in idx]
            row |= {label: _objective_difference(outcomes[r], outcomes[s], problem),
                    f"{label}_low": float(np.nanpercentile(boots, 2.5)),
                    f"{label}_high": float(np.nanpercentile(boots, 97.5))}
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["best_standard"] = regimens[best_std].name
    return table


def _objective_difference(a: np.ndarray, b: np.ndarray, problem: ScheduleProblem) -> float:
    pair = np.vstack([a, b])
    values = cohort_objective(pair, problem.robust, problem.maximise)
    return float(values[0] - values[1])
