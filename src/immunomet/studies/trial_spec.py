"""A virtual trial as data: the YAML a user writes for ``immunomet trial``, validated by pydantic.

Patients are colorectal cancer patients after resection of the primary (day 0), on the patient
model; arms are adjuvant treatments, each compared with the first arm (control). Doses are
absolute (``1200mg``); a schedule is ``days`` or ``start`` + ``every`` + ``doses``.
"""
from __future__ import annotations

from typing import Literal, Union

from pydantic import Field, ValidationError, field_validator, model_validator

from ..cohorts.patients import HOST_IL6, LIVER_SEEDING, SERUM_SAMPLE_DAY, SERUM_SAMPLE_SD, TUMOUR_IL6
from ..errors import SpecError
from ..spec import Treatment
from ..spec.interventions import regular_days
from ..spec.limits import MAX_CELLS, MAX_DAYS, MAX_SEED
from .spec import Integer, Number, TreatmentSpec, _first_error, _Strict

DAYS_PER_YEAR = 365.25


class TrialTreatmentSpec(TreatmentSpec):
    """An agent on ``days``, or ``doses`` doses ``every`` N days from ``start``, by ``route`` (i.v.)."""

    days: list[Number] | None = Field(default=None, min_length=1, description="days after resection")
    start: Number | None = Field(default=None, ge=0, le=MAX_DAYS, description="first dose day (with every, doses)")
    every: Number | None = Field(default=None, gt=0, le=MAX_DAYS, description="days between doses, e.g. 21 for q3w")
    doses: Integer | None = Field(default=None, ge=1, le=1000, description="number of doses")
    route: Literal["ip", "iv", "sc"] = "iv"

    @field_validator("days")
    @classmethod
    def _after_resection(cls, days):
        early = [d for d in (days or []) if d < 0]
        if early:
            raise ValueError(f"day {early[0]:g} is before resection (day 0), where the patient model starts")
        return days

    @model_validator(mode="after")
    def _one_schedule(self):
        repeated = (self.start, self.every, self.doses)
        if self.days is None and None in repeated:
            raise ValueError("give days, or start + every + doses (e.g. start: 28, every: 21, doses: 16)")
        if self.days is not None and any(v is not None for v in repeated):
            raise ValueError("give days or start/every/doses, not both")
        return self

    def dose_days(self) -> tuple[float, ...]:
        if self.days is not None:
            return tuple(self.days)
        return regular_days(self.start, self.every, self.doses)

    def treatment(self) -> Treatment:
        return Treatment(self.agent.lower(), self.dose, self.dose_days(), self.route)


class TrialArmSpec(_Strict):
    name: str = Field(min_length=1, max_length=100)
    treatments: list[Union[TrialTreatmentSpec, str]] = Field(default_factory=list)
    description: str = ""


class PopulationSpec(_Strict):
    """Who the patients are (defaults: ``cohorts.patients``)."""

    il6_high_fraction: Number = Field(default=0.34, gt=0, lt=1, description="share called IL-6 high (Feng 2023: 0.34)")
    tumour_il6_median: Number | None = Field(default=None, gt=0, description="pg/cell/day; default the model's p_il6_tumour")
    tumour_il6_sd_decades: Number = Field(default=TUMOUR_IL6.sd_decades, ge=0, le=5,
                                          description="spread between patients (decades)")
    liver_seeding_median: Number | None = Field(default=None, gt=0, le=1, description="default the model's f_liver_arrest")
    liver_seeding_sd_decades: Number = Field(default=LIVER_SEEDING.sd_decades, ge=0, le=5)
    il6_assay_sd_decades: Number = Field(default=0.0, ge=0, le=3, description="error of the IL-6 assay that "
                                         "stratifies patients (0: exact)")
    host_il6_sd_decades: Number = Field(default=HOST_IL6.sd_decades, ge=0, le=3,
                                        description="spread of host basal IL-6 between patients (decades)")
    serum_day: Number = Field(default=SERUM_SAMPLE_DAY, ge=0, le=3650,
                              description="postoperative day of the serum IL-6 sample")
    serum_sd_decades: Number = Field(default=SERUM_SAMPLE_SD, ge=0, le=3,
                                     description="error of one serum IL-6 sample (decades)")
    spread: Number = Field(default=0.25, ge=0, le=1, description="patient-to-patient variability of the other parameters")


class TrialSpec(_Strict):
    """A virtual adjuvant trial on the patient model."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    model: str = "patient"
    seed: Integer = Field(default=0, ge=0, le=MAX_SEED)
    patients_per_arm: Integer = Field(default=200, ge=2)
    follow_up_years: Number = Field(default=5.0, gt=0, le=15)
    disseminated_cells: Number = Field(default=1e5, gt=0, le=MAX_CELLS, description="cancer cells shed to the portal "
                                       "blood (at most 1e9)")
    scan_every: Number = Field(default=0.0, ge=0, le=MAX_DAYS, description="days between surveillance scans (0: continuous)")
    paired: bool = Field(default=True, description="the same virtual patients in every arm (counterfactual arms); "
                         "false: each arm draws its own patients, as randomisation would")
    population: PopulationSpec = PopulationSpec()
    parameters: dict[str, Number] = Field(default_factory=dict, description="model parameter edits")
    arms: list[TrialArmSpec] = Field(min_length=1)
    power: Number = Field(default=0.8, gt=0, lt=1)

    @field_validator("arms")
    @classmethod
    def _unique_names(cls, arms):
        names = [a.name for a in arms]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"arm names must be unique; repeated: {', '.join(sorted(dup))}")
        return arms

    @property
    def follow_up_days(self) -> float:
        return self.follow_up_years * DAYS_PER_YEAR


def parse_trial(data: object, source: str = "trial") -> TrialSpec:
    """Validate a loaded YAML document; raise SpecError with one line naming the field."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a trial is a mapping with at least 'name' and 'arms', got {type(data).__name__}")
    try:
        return TrialSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: {_first_error(exc, TrialSpec)}") from None
