"""A study as data: the YAML a user writes, validated by pydantic (``StudySpec.model_json_schema()``).

Shape checks (types, signs, unknown fields) happen here; checks against the model (agent and
genotype names, parameter names and ranges, days within follow-up) happen in ``plan.py``. Every
error becomes one line naming the field, e.g. ``arms[2].treatments[0].dose: must be >= 0 ug``.
"""
from __future__ import annotations

import typing
from typing import Annotated, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from ..errors import SpecError
from ..spec.interventions import parse_days, parse_dose
from ..spec.limits import MAX_CELLS, MAX_DAYS, MAX_DOSE_UG, MAX_FLOW_EVENTS, MAX_GROWTH, MAX_SEED



def _no_bool(value):
    """YAML ``true``/``false`` are not numbers (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {str(value).lower()}")
    return value


Number = Annotated[float, BeforeValidator(_no_bool)]
Integer = Annotated[int, BeforeValidator(_no_bool)]


def _unique_days(days: list[float] | None, what: str) -> list[float] | None:
    if days is not None:
        repeated = sorted({d for d in days if days.count(d) > 1})
        if repeated:
            raise ValueError(f"day {repeated[0]:g} is given twice; {what}")
    return days


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class TreatmentSpec(_Strict):
    """One agent given on some days, e.g. ``{agent: anti-pdl1, dose: 200ug, days: [8, 11]}``."""

    agent: str = Field(description="agent name or alias, e.g. anti-pdl1, anti-cd8, isotype, poly-ic")
    dose: Number = Field(description="dose per administration in ug; '200ug' and '0.5 mg' are read too")
    days: list[Number] = Field(min_length=1, description="days relative to cell injection; '[-1, 3, 7]' or 'd-1,d3,d7'")
    route: Literal["ip", "iv", "sc"] = "ip"

    @field_validator("dose", mode="before")
    @classmethod
    def _dose_in_ug(cls, value):
        if isinstance(value, str):
            value = _as_value_error(parse_dose, value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value < 0:
                raise ValueError(f"must be >= 0 ug, got {value}")
            if value > MAX_DOSE_UG:
                raise ValueError(f"{value:g} ug is {value / 1e6:g} g in one administration; at most {MAX_DOSE_UG:g} ug "
                                 "(write e.g. 200ug or 1200mg)")
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _days_list(cls, value):
        if isinstance(value, str):
            return list(_as_value_error(parse_days, value))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return [value]
        return value

    @field_validator("days")
    @classmethod
    def _days_in_range(cls, days):
        if days is None:  # a trial's treatment may give start, every and doses instead
            return days
        far = [d for d in days if abs(d) > MAX_DAYS]
        if far:
            raise ValueError(f"day {far[0]:g} is more than {MAX_DAYS:g} days from the injection")
        return _unique_days(days, "give one dose per day (the sum, if two were meant)")


def _as_value_error(parse, text: str):
    """Run a spec parser inside a pydantic validator, which reports ValueError with the field."""
    try:
        return parse(text)
    except SpecError as exc:
        raise ValueError(str(exc)) from None


class CellLineSpec(_Strict):
    """The injected line: CT26 by default; properties override the model's values for it."""

    name: str = "CT26"
    il6_secretion: Number | None = Field(default=None, ge=0, description="pg/cell/day (model: p_il6_tumour)")
    pdl1_baseline: Number | None = Field(default=None, gt=0, description="relative to CT26 (model: pdl1_base)")
    mhc1_baseline: Number | None = Field(default=None, gt=0, description="relative to CT26 (model: mhc1_base)")
    growth_rate: Number | None = Field(default=None, gt=0, le=MAX_GROWTH,
                                       description="1/day (model: r_tumour); at most 5 (a division every ~5 h)")


class ArmSpec(_Strict):
    """One group of animals: a genotype and its treatments."""

    name: str = Field(min_length=1, max_length=100)
    genotype: str = "wt"
    treatments: list[Union[TreatmentSpec, str]] = Field(
        default_factory=list, description="mappings, or shorthand strings 'anti-pdl1:200ug@d8,d11'")
    animals: Integer | None = Field(default=None, ge=1, description="overrides animals_per_arm")
    readout_days: list[Number] | None = Field(default=None, description="overrides the study's readout_days")
    follow_up: Number | None = Field(default=None, gt=0, le=MAX_DAYS, description="overrides the study's follow_up (days)")

    @field_validator("readout_days")
    @classmethod
    def _readouts_once(cls, days):
        return _unique_days(days, "each readout day once")
    part: str | None = Field(default=None, description="groups arms in reports, e.g. survival; default "
                             "colonisation (intrasplenic) or tumour growth (s.c./i.d.)")
    cell_line: CellLineSpec | None = Field(default=None, description="this arm's own cell line (e.g. an "
                                             "engineered line beside the parental one); default the study's")
    description: str = ""


class InjectionSpec(_Strict):
    route: Literal["intrasplenic", "subcutaneous", "intradermal"] = "intrasplenic"
    cells: Number = Field(default=1e5, gt=0, le=MAX_CELLS, description="cells injected (at most 1e9, about 1 g)")
    day: Number = Field(default=0.0, ge=-MAX_DAYS, le=MAX_DAYS)


class VariabilitySpec(_Strict):
    spread: Number | None = Field(default=None, ge=0, le=1, description="share of each prior's log-width (0 = "
                                  "identical animals); default the model's (models/data/<model>_variability.yaml)")
    parameters: list[str] | Literal["all"] = "all"
    log_sd: dict[str, Number] | None = Field(default=None, description="parameters with their own between-animal "
                                             "SD of the log value (these override spread); default the model's, "
                                             "{} for none")


class NoiseSpec(_Strict):
    flow_events: Integer = Field(default=5000, ge=0, le=MAX_FLOW_EVENTS,
                                 description="CD45+ events per flow sample (0 = exact; at most 1e7)")
    assay_cv: Number = Field(default=0.1, ge=0, le=2, description="CV of weights, volumes, MFI, ELISA (0 = exact)")


class EndpointSpec(_Strict):
    observable: str | None = Field(default=None, description="model observable; default tumour_burden "
                                   "(intrasplenic) or tumour_volume (s.c./i.d.)")
    above: Number | None = Field(default=None, gt=0, description="default 1e9 cells or 1500 mm3")


class StudySpec(_Strict):
    """A virtual experiment: injection, cell line, arms, animals, readouts, follow-up."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    model: str = "mouse"
    seed: Integer = Field(default=0, ge=0, le=MAX_SEED)
    injection: InjectionSpec = InjectionSpec()
    cell_line: CellLineSpec = CellLineSpec()
    parameters: dict[str, Number] = Field(default_factory=dict, description="model parameter edits for this study")
    variability: VariabilitySpec = VariabilitySpec()
    measurement_noise: NoiseSpec = NoiseSpec()
    animals_per_arm: Integer = Field(default=8, ge=1)
    readout_days: list[Number] = Field(default_factory=lambda: [21.0])
    follow_up: Number = Field(default=28.0, gt=0, le=MAX_DAYS, description="days after injection (at most 7300)")
    humane_endpoint: EndpointSpec = EndpointSpec()
    arms: list[ArmSpec] = Field(min_length=1)
    references: list[str] = Field(default_factory=list)

    @field_validator("readout_days")
    @classmethod
    def _readouts_once(cls, days):
        return _unique_days(days, "each readout day once")


def parse_study(data: object, source: str = "study") -> StudySpec:
    """Validate a loaded YAML document; raise SpecError with one line naming the field."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a study is a mapping with at least 'name' and 'arms', got {type(data).__name__}")
    try:
        return StudySpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError, root: type[BaseModel] | None = None) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    # for str-or-mapping unions pydantic appends the tried type; keep the path readable
    loc = [p for p in loc if p not in ("str", "TreatmentSpec", "TrialTreatmentSpec")
           and not str(p).startswith("function-")]
    path = _path(loc)
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_fields(loc[:-1], root or StudySpec))
        return f"{path}: unknown field; allowed: {allowed}"
    if err["type"] == "missing":
        return f"{path}: required field missing"
    msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    if err["type"] == "literal_error":
        msg = msg.replace("must be", "must be one of", 1)
    return f"{path}: {msg}"


def _path(loc: list) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "study"


def _allowed_fields(loc: list, root: type[BaseModel]) -> list[str]:
    cls = root
    for part in loc:
        if isinstance(part, int):
            continue
        cls = _model_in(cls.model_fields[part].annotation) or cls
    return list(cls.model_fields)


def _model_in(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None
