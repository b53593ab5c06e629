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

from ..errors import SpecError
from ..readouts.survival import HumaneEndpoint, time_to_endpoint
from ..simulate.cohort import simulate_cohort
from ..simulate.colonization import visible_probability
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
             engine: str = "auto", chunk: int = 2000, progress: bool = False) -> np.ndarray:
    """(n_samples x n_readouts): each row of ``values`` (parameter values, columns = ``names``)
    simulated under the scenario; NaN where the solver failed."""
    from tqdm.auto import tqdm

    readouts = check_readouts(readouts)
    protocol = scenario.protocol()
    out = np.full((len(values), len(readouts)), np.nan)
    with tqdm(total=len(values), unit="sim", desc="evaluate", disable=not progress) as bar:
        for start in range(0, len(values), chunk):
            rows = values[start:start + chunk]
            models = [model.with_parameters(dict(zip(names, map(float, row)))) for row in rows]
            results = simulate_cohort(models, protocol, list(range(start, start + len(rows))), engine=engine)
            for i, (m, result) in enumerate(zip(models, results)):
                if result.ok:
                    out[start + i] = [_readout(r, m, result, scenario) for r in readouts]
            bar.update(len(rows))
    return out


def _readout(name: str, model: Model, result, scenario: Scenario) -> float:
    if name == "survival":
        return time_to_endpoint(result, HumaneEndpoint())[0]
    if name == "visible_nodules":
        col = model.colonisation
        p_alive, mean_alive = result.lineages.at(scenario.readout_day)
        arrested = scenario.cells * model.parameters.value(col.arrest_parameter)
        expected = arrested * p_alive * visible_probability(mean_alive, model.parameters.value(col.visible_parameter))
        return float(np.log10(1.0 + expected))
    series = result.series(name)
    value = float(np.interp(scenario.readout_day, series.index.to_numpy(), series.to_numpy()))
    return float(np.log10(max(value, 1e-12))) if name == "cd8_effector" else value
