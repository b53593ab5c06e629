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
- host IL-6 (``p_il6_basal``): resting IL-6 production of the host, which sets serum IL-6 after
  resection and differs between people by half a decade (CoLaus).

``measured_serum`` turns the simulated postoperative serum IL-6 into one sample with its sourced
error: the measurement Feng 2023 and other serum cohorts stratified by.

Patient ``i`` of a group draws from ``animal_seeds(seed, group, i)``: the same seed gives the
same patients whatever the chunking. The error of the IL-6 assay comes from a child of the
patient's measurement stream, so it is independent of what else is measured on the patient
(its relapse level comes from the measurement stream itself).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..errors import SpecError
from ..spec import Model
from ..random import animal_rng, child_sequences
from .animals import animal_seeds_many
from .variability import Variability


@dataclass(frozen=True)
class Covariate:
    """A log-normal patient property: ``parameter`` = median x 10^(sd_decades x z), clipped to its
    prior. ``median=None`` takes the model's value of the parameter; ``source`` says where the
    spread comes from."""

    parameter: str
    sd_decades: float
    label: str
    median: float | None = None
    source: str = "set by the user"

    def __post_init__(self) -> None:
        if self.median is not None and not self.median > 0:
            raise SpecError(f"covariate {self.parameter}: median must be > 0, got {self.median}")
        if not self.sd_decades >= 0:
            raise SpecError(f"covariate {self.parameter}: sd_decades must be >= 0, got {self.sd_decades}")

    def centre(self, model: Model) -> float:
        return self.median if self.median is not None else model.parameters.value(self.parameter)

    def quantile(self, model: Model, q: float) -> float:
        return float(self.centre(model) * 10 ** (self.sd_decades * stats.norm.ppf(q)))

    def draw(self, model: Model, rngs) -> np.ndarray:
        """One value per generator in ``rngs`` (one standard normal from each)."""
        centre = self.centre(model)
        values = np.array([centre * 10 ** (self.sd_decades * rng.standard_normal()) for rng in rngs])
        return np.clip(values, *model.parameters[self.parameter].prior)


TUMOUR_IL6 = Covariate(
    "p_il6_tumour", 0.72, "tumour IL-6 secretion (pg/cell/day)",
    source="SD of log10 IL6 RNA-seq expression between 92 primary colorectal tumours, 0.72 decades (bootstrap "
           "95% CI 0.62-0.81; TCGA COAD/READ counts as shipped in CMScaller, Eide et al. 2017, Sci Rep 7:16618; "
           "computed by scripts/tcga_il6_spread.py). Bulk IL6 is largely stromal and myeloid: the tumour's IL-6 "
           "output, stroma included, is what the per-cell value stands for (docs/patients.md)")
LIVER_SEEDING = Covariate("f_liver_arrest", 0.75, "share of disseminated cells lodged in the liver",
                          source="assumed: liver seeding differs between patients by orders of magnitude")
HOST_IL6 = Covariate(
    "p_il6_basal", 0.50, "host basal IL-6 production (pg/day)",
    source="resting serum IL-6 of 6,085 adults: median 1.47, IQR 0.71-3.53 pg/mL, SD 0.52 decades (CoLaus, "
           "Marques-Vidal et al. 2011, PLoS One 6:e21002), less one sample's within-person and analytical error "
           "(0.14 decades, SERUM_SAMPLE_SD): 0.50 decades between people's long-run levels; serum IL-6 is "
           "proportional to production at steady state. Post-MI patients: 0.20 (Karakas et al. 2010, Clin Chem 56:861)")
SERUM_SAMPLE_SD = 0.14  # decades: one serum IL-6 sample's within-person + analytical error (AIRGENE, Karakas 2010)
SERUM_SAMPLE_DAY = 7.0  # postoperative day of the serum sample (Feng 2023: after surgery, about one week)


@dataclass(frozen=True)
class PatientPopulation:
    """Who the virtual patients are. ``high_fraction``: share of patients called IL-6 high."""

    tumour_il6: Covariate = TUMOUR_IL6
    liver_seeding: Covariate = LIVER_SEEDING
    variability: Variability = field(default_factory=lambda: Variability(spread=0.25))
    high_fraction: float = 0.34
    assay_sd_decades: float = 0.0  # error of the IL-6 assay on the primary (0: patients stratified exactly)
    host_il6: Covariate = HOST_IL6
    serum_day: float = SERUM_SAMPLE_DAY
    serum_sd_decades: float = SERUM_SAMPLE_SD

    def __post_init__(self) -> None:
        if not 0.0 < self.high_fraction < 1.0:
            raise SpecError(f"il6_high_fraction: must be between 0 and 1, got {self.high_fraction}")
        for name, value in (("il6_assay_sd_decades", self.assay_sd_decades),
                            ("serum_sd_decades", self.serum_sd_decades), ("serum_day", self.serum_day)):
            if not value >= 0:
                raise SpecError(f"{name}: must be >= 0, got {value}")

    def il6_cutoff(self, model: Model) -> float:
        """Tumour IL-6 secretion above which a patient counts as IL-6 high."""
        return self.tumour_il6.quantile(model, 1.0 - self.high_fraction)

    def draw(self, model: Model, indices, seed: int, group: str) -> "Patients":
        """Patients ``indices`` of ``group``: each one's parameters (variability, then its
        covariates, from its own parameter stream), IL-6 stratum and seed streams."""
        indices = np.asarray(list(indices), dtype=np.int64)
        seeds = animal_seeds_many(seed, group, indices)
        rngs = [animal_rng(s.parameters) for s in seeds]
        compiled = model.compile()
        matrix = np.tile(compiled.parameter_vector(model.parameters), (len(seeds), 1))
        names, values = self.variability.draw(model.parameters, rngs)
        matrix[:, [compiled.parameter_index[n] for n in names]] = values
        covariates = {}
        for cov in (self.tumour_il6, self.liver_seeding, self.host_il6):
            covariates[cov.parameter] = matrix[:, compiled.parameter_index[cov.parameter]] = cov.draw(model, rngs)
        il6 = covariates[self.tumour_il6.parameter]
        measured = il6 * measurement_error([s.measurement for s in seeds], ASSAY_CHILD, self.assay_sd_decades)
        stratum = np.where(measured > self.il6_cutoff(model), "IL-6 high", "IL-6 low")
        return Patients(indices, matrix, il6, measured, stratum, covariates[self.liver_seeding.parameter],
                        tuple(s.colonisation for s in seeds), tuple(s.measurement for s in seeds))

    def measured_serum(self, serum: np.ndarray, measurement_seeds) -> np.ndarray:
        """One serum sample per patient: the simulated serum IL-6 on ``serum_day`` (``serum``) with
        the sample's log-normal error."""
        return np.asarray(serum, float) * measurement_error(list(measurement_seeds), SERUM_CHILD, self.serum_sd_decades)


ASSAY_CHILD, SERUM_CHILD = 0, 1  # children of a patient's measurement stream (the stream itself draws the relapse)


def measurement_error(measurement_seeds: list, child: int, sd_decades: float) -> np.ndarray:
    """Per patient, a log-normal error factor 10^(sd_decades x z), z from child ``child`` of the
    patient's measurement stream: derived without changing the stream, independent of what else
    is measured on the patient."""
    z = np.array([animal_rng(stream).standard_normal() for stream in child_sequences(measurement_seeds, child)])
    return 10 ** (sd_decades * z)


@dataclass(frozen=True, eq=False)
class Patients:
    """Drawn patients: index, parameter matrix (model order), covariates, stratum and seed streams."""

    index: np.ndarray
    parameters: np.ndarray
    tumour_il6: np.ndarray
    tumour_il6_measured: np.ndarray
    il6_stratum: np.ndarray
    liver_seeding: np.ndarray
    colonisation_seeds: tuple
    measurement_seeds: tuple

    def __len__(self) -> int:
        return len(self.index)
