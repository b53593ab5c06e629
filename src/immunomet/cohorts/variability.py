"""Animal-to-animal variability: log-normal around each parameter's model value.

The spread of parameter ``k`` comes from its prior range: ``sigma_k = spread * ln(high/low) / 4``,
i.e. the prior range read as +-2 SD on the log scale, scaled by ``spread`` (the share of our
uncertainty about a value that is real difference between animals). Inbred mice differ far less
than our uncertainty, hence the small default. Draws are clipped to the prior range. Parameters
marked ``varies: false`` (constants, genotype switches, measurement definitions) never vary.

``log_sd`` names parameters with their own log-scale SD instead, as mixed-effects fits of tumour
growth report them (e.g. a between-mouse SD of T-cell influx); with ``spread=0`` only those vary.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..spec import ParameterSet
from ..spec.parameters import did_you_mean


@dataclass(frozen=True)
class Variability:
    """How much virtual animals differ. ``parameters=None`` means every parameter that varies."""

    spread: float = 0.1
    parameters: tuple[str, ...] | None = None
    log_sd: tuple[tuple[str, float], ...] = ()  # (parameter, log-scale SD) pairs; they override ``spread``

    def __post_init__(self) -> None:
        if not 0.0 <= self.spread <= 1.0:
            raise SpecError(f"variability.spread: must be between 0 and 1, got {self.spread}")
        if self.parameters is not None:
            object.__setattr__(self, "parameters", tuple(self.parameters))
        pairs = tuple((str(name), float(sd)) for name, sd in dict(self.log_sd).items())
        for name, sd in pairs:
            if not 0.0 <= sd <= 3.0:
                raise SpecError(f"variability.log_sd.{name}: must be between 0 and 3, got {sd}")
        object.__setattr__(self, "log_sd", pairs)

    @classmethod
    def from_table(cls, table) -> "Variability":
        """The variability of a model's table (``models.load_variability_table``): its spread and log-SDs."""
        return cls(table.spread, log_sd=tuple(table.log_sd.items()))

    def varied(self, params: ParameterSet) -> tuple[str, ...]:
        """Names of the parameters that differ between animals, in model order."""
        if self.parameters is None:
            return tuple(n for n, p in params.items() if p.varies and p.prior[0] > 0 and p.prior[1] > p.prior[0])
        for name in self.parameters:
            if name not in params:
                raise SpecError(f"variability.parameters: unknown parameter {name!r}{did_you_mean(name, params)}")
        return tuple(n for n in params if n in set(self.parameters))

    def sigmas(self, params: ParameterSet) -> dict[str, float]:
        """Log-scale standard deviation of each varied parameter, in model order."""
        own = dict(self.log_sd)
        for name in own:
            if name not in params:
                raise SpecError(f"variability.log_sd: unknown parameter {name!r}{did_you_mean(name, params)}")
        out = {}
        varied = set(self.varied(params))  # checks the names of ``parameters`` whatever the spread
        spread_names = varied if self.spread > 0 else set()
        for name, p in params.items():
            if name in own:
                out[name] = own[name]
            elif name in spread_names:
                low, high = p.prior
                out[name] = self.spread * float(np.log(high / low)) / 4.0 if low > 0 else 0.0
        return out

    def sample(self, params: ParameterSet, rng: np.random.Generator) -> dict[str, float]:
        """One animal's values of the varied parameters (a dict for ``ParameterSet.replace``)."""
        names, values = self.draw(params, [rng])
        return dict(zip(names, map(float, values[0])))

    def draw(self, params: ParameterSet, rngs) -> tuple[tuple[str, ...], np.ndarray]:
        """(names, values): the varied parameters' values of one animal per generator in ``rngs``
        (animals x names); each animal's normal deviates come from its own generator."""
        sigmas = self.sigmas(params)
        names = tuple(sigmas)
        if not names:
            return (), np.zeros((len(rngs), 0))
        z = np.array([rng.standard_normal(len(names)) for rng in rngs]).reshape(len(rngs), len(names))
        base = np.array([params[n].value for n in names])
        low, high = np.array([params[n].prior for n in names]).T
        return names, spread_values(base, z, np.array([sigmas[n] for n in names]), low, high)


def spread_values(base: np.ndarray, z: np.ndarray, sigma: np.ndarray, low: np.ndarray, high: np.ndarray
                  ) -> np.ndarray:
    """Animals' values: each positive ``base`` value times exp(``sigma`` * ``z``) (standard normal
    deviates, one per animal and parameter), clipped to the prior [``low``, ``high``]; a value of 0
    stays 0."""
    return np.clip(np.where(base > 0, base * np.exp(sigma * z), base), low, high)
