"""A scenario (one protocol) evaluated for many parameter sets: the model side of sensitivity
analysis and calibration, kept apart from the analysis code (SALib's sample -> evaluate -> analyse).

Each readout is an expectation, not a noisy draw, so a parameter's effect is not hidden by
sampling noise:

- ``visible_nodules``: log10(1 + expected visible nodules) at the readout day (Kendall closed
  form, with the expected number of arrested cells);
- ``survival``: day the humane end point is reached (mean-field burden; censored at follow-up);
- ``cd8_effector``: log10 effector CD8 in the foci at the readout day;
- ``pdl1``: PD-L1 on cancer cells (x baseline) at the readout day.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import pyarrow as pa

from ..errors import SpecError
from ..jobs import Job, Task, Tables, executor_for, run_job
from ..readouts.survival import HumaneEndpoint, endpoint_days
from ..simulate.cohort import parameter_rows, resolve_engine, simulate_cohort
from ..simulate.colonization import interp_rows
from ..spec import Injection, Model, Protocol, Treatment

READOUTS = {
    "visible_nodules": "log10(1 + expected visible nodules) at the readout day",
    "survival": "day the humane end point is reached (censored at follow-up)",
    "cd8_effector": "log10 effector CD8 in the foci at the readout day",
    "pdl1": "PD-L1 on cancer cells (x baseline) at the readout day",
}


@dataclass(frozen=True)
class Scenario:
    """What is done to the virtual animal: genotype, treatments, injected cells, days."""

    genotype: str = "wt"
    treatments: tuple[Treatment, ...] = ()
    cells: float = 1e5
    readout_day: float = 21.0
    follow_up: float = 60.0

    def __post_init__(self) -> None:
        if not 0 < self.readout_day <= self.follow_up:
            raise SpecError(f"readout day must lie in (0, follow-up {self.follow_up:g}], got {self.readout_day:g}")

    def protocol(self) -> Protocol:
        return Protocol(self.genotype, self.treatments, Injection(cells=self.cells), self.follow_up)

    def describe(self) -> str:
        treat = ", ".join(f"{t.agent} {t.amount:g} ug d{','.join(f'{d:g}' for d in t.days)}" for t in self.treatments)
        return (f"{self.genotype}, {self.cells:.3g} cells intrasplenic{', ' + treat if treat else ''}; readouts on day "
                f"{self.readout_day:g}, survival to day {self.follow_up:g}")


def check_readouts(readouts) -> tuple[str, ...]:
    unknown = [r for r in readouts if r not in READOUTS]
    if unknown:
        raise SpecError(f"readouts: unknown {', '.join(unknown)}; use {', '.join(READOUTS)}")
    return tuple(readouts)


def evaluate(model: Model, scenario: Scenario, names: list[str], values: np.ndarray, readouts, *,
             engine: str = "auto", chunk: int = 2000, progress: bool = False, workers: int = 1) -> np.ndarray:
    """(n_samples x n_readouts): each row of ``values`` (parameter values, columns = ``names``)
    simulated under the scenario; NaN where the solver failed. A run-core job (``ScenarioJob``)."""
    job = ScenarioJob(model, scenario, tuple(names), np.asarray(values, dtype=float), check_readouts(readouts),
                      resolve_engine(engine), chunk)
    with executor_for(job.engine, workers) as executor:
        return run_job(job, executor=executor, progress=progress)


@dataclass(frozen=True, eq=False)
class ScenarioJob(Job):
    """Parameter sets (rows of ``values`` for ``names``) simulated under one scenario, in chunks."""

    model: Model
    scenario: Scenario
    names: tuple[str, ...]
    values: np.ndarray
    readouts: tuple[str, ...]
    engine: str
    chunk: int = 2000

    kind = "scenario"
    unit = "sim"

    @property
    def name(self) -> str:
        return "evaluate"

    def tasks(self) -> list[Task]:
        n = len(self.values)
        return [Task(k, min(start + self.chunk, n) - start, (start, min(start + self.chunk, n)))
                for k, start in enumerate(range(0, n, self.chunk))]

    def run_task(self, task: Task, tick=None) -> Tables:
        start, stop = task.key
        matrix = parameter_rows(self.model, self.names, self.values[start:stop])
        cohort = simulate_cohort(self.model, self.scenario.protocol(), list(range(start, stop)), parameters=matrix,
                                 engine=self.engine)
        out = {"row": np.arange(start, stop)}
        for name in self.readouts:
            out[name] = np.where(cohort.ok, _readout(name, cohort, self.scenario), np.nan)
        return {"outputs": pa.table(out)}

    def schemas(self) -> dict[str, pa.Schema]:
        return {"outputs": pa.schema([("row", pa.int64())] + [(r, pa.float64()) for r in self.readouts])}

    def finish(self, tables: dict) -> np.ndarray:
        out = np.full((len(self.values), len(self.readouts)), np.nan)
        table = tables["outputs"]
        out[table["row"].to_numpy()] = table[list(self.readouts)].to_numpy(dtype=float)
        return out


def _readout(name: str, cohort, scenario: Scenario) -> np.ndarray:
    if name == "survival":
        return endpoint_days(cohort, HumaneEndpoint())[0]
    if name == "visible_nodules":
        col = cohort.model.colonisation
        arrested = scenario.cells * cohort.parameter(col.arrest_parameter)
        return np.log10(1.0 + cohort.colonisation.expected_visible(scenario.readout_day, arrested))
    value = cohort.values([name])[name]
    at = interp_rows(cohort.times, value, scenario.readout_day)
    return np.log10(np.maximum(at, 1e-12)) if name == "cd8_effector" else at
