"""Virtual patients: covariates (tumour IL-6, liver seeding) and patient-to-patient variability.

A patient is the patient model with its own parameter values: every parameter that varies is
drawn around the model value as for animals (``Variability``, wider for outbred humans), and two
covariates are drawn from their own log-normal distributions:

- tumour IL-6 (``p_il6_tumour``, IL-6 made per cancer cell): the occult cells carry the primary
  tumour's IL-6 expression. A patient is "IL-6 high" above a fixed cut-off, the population
  quantile ``1 - high_fraction``; by default the top 34% (Feng 2023: 66% of 122 patients low).
  With ``assay_sd_decades`` > 0 the strata come from a noisy measurement of it (IHC on the
  primary), as in a real cohort; the default 0 stratifies on the true value.
- liver seeding (``f_liver_arrest``): the share of disseminated cells lodged in the liver, which
  differs between patients by orders of magnitude.

Patient ``i`` of a group draws from ``animal_seeds(seed, group, i)``: the same seed gives the
same patients whatever the chunking.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..errors import SpecError
from ..spec import Model
from .animals import animal_seeds
from .variability import Variability


@dataclass(frozen=True)
class Covariate:
    """A log-normal patient property: ``parameter`` = median x 10^(sd_decades x z), clipped to its
    prior. ``median=None`` takes the model's value of the parameter."""

    parameter: str
    sd_decades: float
    label: str
    median: float | None = None

    def __post_init__(self) -> None:
        if self.median is not None and not self.median > 0:
            raise SpecError(f"covariate {self.parameter}: median must be > 0, got {self.median}")
        if not self.sd_decades >= 0:
            raise SpecError(f"covariate {self.parameter}: sd_decades must be >= 0, got {self.sd_decades}")

    def centre(self, model: Model) -> float:
        return self.median if self.median is not None else model.parameters.value(self.parameter)

    def quantile(self, model: Model, q: float) -> float:
        return float(self.centre(model) * 10 ** (self.sd_decades * stats.norm.ppf(q)))

    def draw(self, model: Model, rng: np.random.Generator) -> float:
        value = self.centre(model) * 10 ** (self.sd_decades * rng.standard_normal())
        return float(np.clip(value, *model.parameters[self.parameter].prior))


TUMOUR_IL6 = Covariate("p_il6_tumour", 1.0, "tumour IL-6 secretion (pg/cell/day)")
LIVER_SEEDING = Covariate("f_liver_arrest", 0.75, "share of disseminated cells lodged in the liver")


@dataclass(frozen=True)
class PatientPopulation:
    """Who the virtual patients are. ``high_fraction``: share of patients called IL-6 high."""

    tumour_il6: Covariate = TUMOUR_IL6
    liver_seeding: Covariate = LIVER_SEEDING
    variability: Variability = field(default_factory=lambda: Variability(spread=0.25))
    high_fraction: float = 0.34
    assay_sd_decades: float = 0.0  # error of the IL-6 assay on the primary (0: patients stratified exactly)

    def __post_init__(self) -> None:
        if not 0.0 < self.high_fraction < 1.0:
            raise SpecError(f"il6_high_fraction: must be between 0 and 1, got {self.high_fraction}")
        if not self.assay_sd_decades >= 0:
            raise SpecError(f"il6_assay_sd_decades: must be >= 0, got {self.assay_sd_decades}")

    def il6_cutoff(self, model: Model) -> float:
        """Tumour IL-6 secretion above which a patient counts as IL-6 high."""
        return self.tumour_il6.quantile(model, 1.0 - self.high_fraction)

    def patient(self, model: Model, seed: int, group: str, index: int) -> tuple[Model, dict]:
        """Patient ``index`` of ``group``: its model and a record of its covariates and seeds."""
        seeds = animal_seeds(seed, group, index)
        rng = np.random.default_rng(seeds.parameters)
        values = self.variability.sample(model.parameters, rng)
        covariates = {}
        for cov in (self.tumour_il6, self.liver_seeding):
            covariates[cov.parameter] = values[cov.parameter] = cov.draw(model, rng)
        il6 = covariates[self.tumour_il6.parameter]
        measured = il6 * 10 ** (self.assay_sd_decades * np.random.default_rng(seeds.measurement).standard_normal())
        record = {"patient": index, "tumour_il6": il6, "tumour_il6_measured": measured,
                  "il6_stratum": "IL-6 high" if measured > self.il6_cutoff(model) else "IL-6 low",
                  "liver_seeding": covariates[self.liver_seeding.parameter]}
        return model.with_parameters(values), record

    def patients(self, model: Model, indices, seed: int, group: str):
        """(models, records, colonisation seeds, measurement seeds) of patients ``indices`` of ``group``."""
        out = [self.patient(model, seed, group, i) for i in indices]
        seeds = [animal_seeds(seed, group, i) for i in indices]
        return ([m for m, _ in out], [r for _, r in out], [s.colonisation for s in seeds],
                [s.measurement for s in seeds])
