"""A simulated cohort as arrays: states (animals x times x species), parameters, status, colonisation.

``simulate_cohort`` returns one ``CohortResult`` for any number of animals, whatever the engine.
Readouts, survival and relapse are computed on its arrays for all animals at once; the
per-animal ``SimulationResult`` (pandas tables, a nodule draw, provenance) is a view built only
when someone asks for one (``cohort[i]``, iteration). Provenance is recorded once per cohort.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterator, Sequence

import numpy as np

from ..random import animal_rng
from ..spec import Model, Protocol
from .colonization import LineageStatistics, interp_rows, sample_nodules, visible_probability
from .ode import SolverOptions
from .result import SimulationResult
from .status import SolveStatus


@dataclass(frozen=True, eq=False)
class Colonisation:
    """Closed-form statistics of one seeded lineage per animal (Kendall; ``simulate.colonization``):
    log P(alive) and log E[size] on ``times`` (animals x times), arrested cells and the visibility
    threshold per animal. Rows of failed animals are NaN."""

    times: np.ndarray
    log_survival: np.ndarray
    log_mean_size: np.ndarray
    arrested: np.ndarray
    visible_threshold: np.ndarray

    def at(self, day: float) -> tuple[np.ndarray, np.ndarray]:
        """(P(alive), mean size if alive) of every animal's lineage at ``day``."""
        ls = interp_rows(self.times, self.log_survival, day)
        lm = interp_rows(self.times, self.log_mean_size, day)
        return np.exp(ls), np.exp(lm - ls)

    def log_all_extinct(self, index: int | slice = slice(None)) -> np.ndarray:
        """log P(every seeded lineage extinct by each time) per animal (animals x times): the
        probability that the animal's tumour has been eradicated by then."""
        with np.errstate(divide="ignore", invalid="ignore"):
            dead = np.log1p(-np.minimum(np.exp(self.log_survival[index]), 1.0))
            seeded = self.arrested[index, None]
            return np.where(seeded == 0, 0.0, seeded * dead)

    def expected_visible(self, day: float, arrested: np.ndarray | None = None) -> np.ndarray:
        """Expected visible nodules per animal: arrested x P(alive) x P(size >= threshold)."""
        p_alive, mean_alive = self.at(day)
        arrested = self.arrested if arrested is None else arrested
        return arrested * p_alive * visible_probability(mean_alive, self.visible_threshold)

    def lineage(self, i: int) -> LineageStatistics:
        return LineageStatistics(self.times, self.log_survival[i], self.log_mean_size[i])

    def subset(self, index: np.ndarray) -> "Colonisation":
        return Colonisation(self.times, self.log_survival[index], self.log_mean_size[index], self.arrested[index],
                            self.visible_threshold[index])


@dataclass(frozen=True, eq=False)
class CohortResult:
    """Trajectories of ``len(self)`` animals of one model structure.

    ``parameters`` holds each animal's values (genotype edits applied) in the order of
    ``model.compile().parameter_names``; ``states`` is (animals, times, species) at ``times``
    (NaN before an animal's first event and after a failure); ``status`` holds ``SolveStatus``
    codes and ``messages`` says why a solve failed. ``seeds`` are the animals' colonisation streams.
    """

    model: Model
    protocols: tuple[Protocol, ...]
    parameters: np.ndarray
    times: np.ndarray
    states: np.ndarray
    status: np.ndarray
    messages: tuple[str, ...]
    colonisation: Colonisation | None
    seeds: tuple
    options: SolverOptions
    engine: str

    def __len__(self) -> int:
        return self.parameters.shape[0]

    @property
    def ok(self) -> np.ndarray:
        """True for every animal whose solve succeeded."""
        return self.status == SolveStatus.SUCCESS.code

    @property
    def n_failed(self) -> int:
        return int((~self.ok).sum())

    @cached_property
    def compiled(self):
        return self.model.compile()

    def statuses(self) -> list[SolveStatus]:
        return [SolveStatus.from_code(c) for c in self.status]

    def parameter(self, name: str) -> np.ndarray:
        """One parameter's value for every animal."""
        return self.parameters[:, self.compiled.parameter_index[name]]

    # ---- values of species and rules -------------------------------------------------------
    def state_at(self, day: float) -> np.ndarray:
        """(animals, species): every state interpolated linearly to ``day`` (as ``np.interp``)."""
        return interp_rows(self.times, np.moveaxis(self.states, 1, 2), day)

    def rules_at(self, day: float, states: np.ndarray | None = None, names=None) -> dict[str, np.ndarray]:
        """Rules (all, or ``names``) of every animal at ``day`` (or on the given (animals, species) ``states``)."""
        y = self.state_at(day) if states is None else states
        return self.compiled.rule_values(day, y.T, self.parameters.T, names)

    def values(self, names: Sequence[str], time_index: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Species or rules by name as (animals, times) arrays, at ``times[time_index]`` (default all)."""
        idx = np.arange(len(self.times)) if time_index is None else np.asarray(time_index)
        c = self.compiled
        out = {n: self.states[:, idx, c.species_index[n]] for n in names if n in c.species_index}
        wanted = [n for n in names if n not in out]
        if wanted:
            for n in wanted:
                if n not in c.rule_names:
                    raise KeyError(f"{n!r} is neither a species nor a rule of model {self.model.name!r}")
            cols = {n: np.empty((len(self), len(idx))) for n in wanted}
            p = self.parameters.T
            for k, ti in enumerate(idx):
                rules = c.rule_values(self.times[ti], self.states[:, ti, :].T, p, wanted)
                for n in wanted:
                    cols[n][:, k] = rules[n]
            out |= cols
        return {n: out[n] for n in names}

    def subset(self, index) -> "CohortResult":
        """The animals at ``index`` (positions), as a cohort of their own."""
        index = np.asarray(index, dtype=np.int64)
        pick = lambda items: tuple(items[i] for i in index)  # noqa: E731
        col = self.colonisation.subset(index) if self.colonisation is not None else None
        return CohortResult(self.model, pick(self.protocols), self.parameters[index], self.times, self.states[index],
                            self.status[index], pick(self.messages), col, pick(self.seeds), self.options, self.engine)

    # ---- per-animal views ----------------------------------------------------------------
    def __getitem__(self, i: int) -> SimulationResult:
        return self.animal(i)

    def __iter__(self) -> Iterator[SimulationResult]:
        return (self.animal(i) for i in range(len(self)))

    def animal(self, i: int) -> SimulationResult:
        """Animal ``i`` as a SimulationResult (tables, its nodule draw at the last day, provenance)."""
        from .views import animal_view

        return animal_view(self, i)

    def nodules_of(self, i: int):
        """Animal ``i``'s random nodules at the end of follow-up, from its colonisation stream
        (the arrested count is that stream's first draw, as in ``simulate_cohort``)."""
        col = self.colonisation
        if col is None or not self.ok[i]:
            return None
        rng = animal_rng(self.seeds[i])
        share = self.parameter(self.model.injection_share_parameter(self.protocols[i].injection))[i]
        arrested = draw_arrested(rng, self.protocols[i].injection.cells, share)
        return sample_nodules(col.lineage(i), self.protocols[i].days, arrested, float(col.visible_threshold[i]), rng)

    def __repr__(self) -> str:
        return (f"<CohortResult {self.model.name} animals={len(self)} failed={self.n_failed} "
                f"days={self.times[-1]:g} engine={self.engine}>")


def draw_arrested(rng: np.random.Generator, cells: float, share: float) -> int:
    """Cells that arrest in the liver out of ``cells`` injected: binomial with probability ``share``."""
    return int(rng.binomial(int(round(cells)), share))
