"""The calibration problem: which parameters are estimated, over which priors, against which
targets, and the log-posterior of many parameter sets at once.

The prior of each estimated parameter is uniform on its prior range, in log10 where the range
is positive (most span orders of magnitude) and linear where it starts at 0. Parameter sets are
vectors ``x`` on that scale (``to_values`` / ``to_scale`` convert). ``log_posterior`` simulates
every quantity the targets need for all sets together: one batched run per injection and
follow-up, the typical animal of each set under each protocol.

With ``group`` (a ``GroupSettings``) each set is instead a group of virtual animals that differ
as the study's animals do (``cohorts.Variability`` around the set's values), with the same
deviates for every set and protocol (common random numbers, so the objective stays a smooth
function of the parameters), and each quantity is the median over the group. Targets on groups
see what the replicate experiments see: a finding can hold for the typical animal and not for
the group median, where the branching process and animal-to-animal spread skew the readouts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..cohorts.variability import Variability, spread_values
from ..errors import SpecError
from ..readouts.lab import expected_cohort
from ..readouts.survival import HumaneEndpoint, crossing_days
from ..simulate.cohort import parameter_rows, simulate_cohort
from ..spec import Model
from .targets import SURVIVAL, TAKEN, Quantity, Target


@dataclass(frozen=True)
class GroupSettings:
    """A group of ``animals`` virtual animals per parameter set, spread as ``variability``; its
    deviates come from ``SeedSequence(seed)``."""

    animals: int = 16
    variability: Variability = field(default_factory=Variability)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.animals < 1:
            raise SpecError(f"group animals: must be at least 1, got {self.animals}")

    def rows(self, model: Model, matrix: np.ndarray) -> np.ndarray:
        """(sets x animals, parameters): each set's values times every animal's log-normal
        factors (the same factors for every set), clipped to the priors; set-major order."""
        sigmas = self.variability.sigmas(model.parameters)
        compiled = model.compile()
        columns = [compiled.parameter_index[n] for n in sigmas]
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed)))
        z = np.tile(rng.standard_normal((self.animals, len(columns))), (len(matrix), 1))
        rows = np.repeat(matrix, self.animals, axis=0)
        priors = np.array([model.parameters[n].prior for n in sigmas], dtype=float).reshape(-1, 2)
        rows[:, columns] = spread_values(rows[:, columns], z, np.array(list(sigmas.values())), priors[:, 0],
                                         priors[:, 1])
        return rows

    def reduce(self, values: np.ndarray) -> np.ndarray:
        """Per set: the median over its animals (NaN where any animal failed)."""
        return np.median(values.reshape(-1, self.animals), axis=1)


@dataclass(frozen=True)
class CalibrationProblem:
    """``model`` with ``names`` estimated (each uniform on its prior, see module doc) against
    ``targets``; an animal reaches the humane end point at ``endpoint``. Each set is its typical
    animal, or with ``group`` a group of animals (module doc)."""

    model: Model
    names: tuple[str, ...]
    targets: tuple[Target, ...]
    endpoint: HumaneEndpoint = HumaneEndpoint()
    engine: str = "auto"
    group: GroupSettings | None = None
    log_scale: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "targets", tuple(self.targets))
        for name in self.names:
            self.model.parameters[name]  # unknown names raise, with a suggestion
        object.__setattr__(self, "log_scale", np.array([self.model.parameters[n].prior[0] > 0 for n in self.names]))

    # ---- scales -----------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of each estimated parameter on the sampling scale."""
        priors = np.array([self.model.parameters[n].prior for n in self.names], dtype=float)
        return self.to_scale(priors[:, 0]), self.to_scale(priors[:, 1])

    def to_scale(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        with np.errstate(divide="ignore"):
            return np.where(self.log_scale, np.log10(np.where(self.log_scale, values, 1.0)), values)

    def to_values(self, x: np.ndarray) -> np.ndarray:
        """Parameter values of sampling-scale points, clipped to the priors (10 ** log10 round-off)."""
        x = np.asarray(x, dtype=float)
        priors = np.array([self.model.parameters[n].prior for n in self.names], dtype=float).reshape(-1, 2)
        return np.clip(np.where(self.log_scale, 10.0 ** np.where(self.log_scale, x, 0.0), x), priors[:, 0],
                       priors[:, 1])

    def defaults(self) -> np.ndarray:
        """The model's current values of the estimated parameters, on the sampling scale."""
        return self.to_scale(np.array([self.model.parameters[n].value for n in self.names]))

    def prior_draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        low, high = self.bounds
        return low + (high - low) * rng.random((n, self.dim))

    # ---- densities --------------------------------------------------------------------------
    def log_prior(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(x)
        low, high = self.bounds
        inside = ((x >= low) & (x <= high)).all(axis=1)
        return np.where(inside, -np.log(high - low).sum(), -np.inf)

    def log_posterior(self, x: np.ndarray) -> np.ndarray:
        """Per row of ``x`` (sets x estimated parameters, sampling scale): log prior + log likelihood;
        -inf outside the prior or where a solve failed."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        out = self.log_prior(x)
        inside = np.isfinite(out)
        if inside.any():
            out[inside] += self.terms(x[inside]).sum(axis=1).to_numpy()
        return out

    def terms(self, x: np.ndarray) -> pd.DataFrame:
        """(sets x targets): each target's log-likelihood term."""
        values = self.quantities(x)
        return pd.DataFrame({t.id: t.log_likelihood(values) for t in self.targets})

    def target_values(self, x: np.ndarray) -> pd.DataFrame:
        """(sets x targets): each target's quantity (magnitudes) or log ratio (findings)."""
        values = self.quantities(x)
        return pd.DataFrame({t.id: t.value(values) for t in self.targets})

    # ---- simulation -------------------------------------------------------------------------
    def quantity_list(self) -> list[Quantity]:
        seen: dict[Quantity, None] = {}
        for t in self.targets:
            seen[t.quantity] = None
            if t.reference is not None:
                seen[t.reference] = None
        return list(seen)

    def quantities(self, x: np.ndarray) -> dict[Quantity, np.ndarray]:
        """Every quantity the targets need, per row of ``x`` (NaN where the solve failed)."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        matrix = parameter_rows(self.model, self.names, self.to_values(x), check=False)
        groups: dict[tuple, list[Quantity]] = {}
        for q in self.quantity_list():
            groups.setdefault((q.protocol.injection, q.protocol.days), []).append(q)
        out: dict[Quantity, np.ndarray] = {}
        for group in groups.values():
            out |= self._simulate_group(group, matrix)
        return out

    def _simulate_group(self, group: list[Quantity], matrix: np.ndarray) -> dict[Quantity, np.ndarray]:
        if self.group is not None:
            values = self._simulate_protocols(group, self.group.rows(self.model, matrix))
            return {q: self.group.reduce(v) for q, v in values.items()}
        return self._simulate_protocols(group, matrix)

    def _simulate_protocols(self, group: list[Quantity], matrix: np.ndarray) -> dict[Quantity, np.ndarray]:
        protocols = list(dict.fromkeys(q.protocol for q in group))
        n = len(matrix)
        rows = np.tile(matrix, (len(protocols), 1))
        cohort = simulate_cohort(self.model, [p for p in protocols for _ in range(n)], list(range(len(rows))),
                                 parameters=rows, engine=self.engine)
        out = {}
        for q in group:
            k = protocols.index(q.protocol)
            part = cohort.subset(np.arange(k * n, (k + 1) * n))
            out[q] = np.where(part.ok, _typical(part, q, self.endpoint), np.nan)
        return out


def _typical(cohort, q: Quantity, endpoint: HumaneEndpoint) -> np.ndarray:
    """The quantity for each (typical) animal of ``cohort``."""
    if q.readout == TAKEN:
        return 1.0 - np.exp(cohort.colonisation.log_all_extinct()[:, -1])
    if q.readout == SURVIVAL:
        return restricted_mean_survival(cohort, endpoint, q.day)
    return expected_cohort(cohort, q.day, [q.readout])[q.readout]


def restricted_mean_survival(cohort, endpoint: HumaneEndpoint, horizon: float) -> np.ndarray:
    """P(eradicated) x horizon + P(persists) x the day a persisting tumour reaches the end point."""
    times = cohort.times
    keep = np.flatnonzero(times >= 0.0)
    burden = cohort.values([endpoint.observable], keep)[endpoint.observable]
    col = cohort.colonisation
    if col is None:
        return np.minimum(crossing_days(times[keep], burden, endpoint.above)[0], horizon)
    log_ext = col.log_all_extinct()
    extinct = np.exp(log_ext[:, -1])
    ext_t = np.exp(np.array([np.interp(times[keep], col.times, row, left=-np.inf) for row in log_ext]))
    with np.errstate(divide="ignore", invalid="ignore"):
        conditional = np.where(ext_t < 1.0, burden / (1.0 - ext_t), np.inf)  # as readouts.survival
    day, _ = crossing_days(times[keep], conditional, endpoint.above)
    day = np.minimum(day, horizon)
    return extinct * horizon + (1.0 - extinct) * day
