"""Interventions as data: agents (antibodies, adjuvants) dosed at days, genotypes, cell injection.

A ``Protocol`` says what is done to one animal; a model resolves it into bolus doses on its
species and parameter edits (genotypes), which the simulators apply as timed events.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import SpecError
from ._frozen import frozen_mapping, reduce_frozen
from .limits import MAX_CELLS, MAX_DAYS, MAX_DOSE_UG
from ..units import parse_unit

ROUTES = ("ip", "iv", "sc")


@dataclass(frozen=True)
class Agent:
    """Something that can be dosed: ``routes`` maps a route to the species that receives it."""

    name: str
    kind: str  # antibody, adjuvant
    target: str
    routes: Mapping[str, str]
    dose_unit: str = "ug"
    description: str = ""
    aliases: tuple[str, ...] = ()
    concentration: str = ""  # rule giving its plasma concentration, if the model has one

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", frozen_mapping(self.routes))
        parse_unit(self.dose_unit)

    __reduce__ = reduce_frozen


@dataclass(frozen=True)
class Genotype:
    """A host genotype as parameter edits, e.g. Il6-/- sets host IL-6 production to zero."""

    name: str
    edits: Mapping[str, float]
    description: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "edits", frozen_mapping(self.edits))

    __reduce__ = reduce_frozen


@dataclass(frozen=True)
class Treatment:
    """``amount`` of ``agent`` (in the agent's dose unit) on each of ``days`` by ``route``."""

    agent: str
    amount: float
    days: tuple[float, ...]
    route: str = "ip"

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", tuple(float(d) for d in self.days))
        if not 0 <= self.amount <= MAX_DOSE_UG:
            raise SpecError(f"treatment {self.agent}: dose must be between 0 and {MAX_DOSE_UG:g} ug (10 g), "
                            f"got {self.amount:g}")
        if not self.days:
            raise SpecError(f"treatment {self.agent}: give at least one day")
        bad = [d for d in self.days if not abs(d) <= MAX_DAYS]
        if bad:
            raise SpecError(f"treatment {self.agent}: day {bad[0]:g} is not within {MAX_DAYS:g} days of the injection")
        twice = sorted({d for d in self.days if self.days.count(d) > 1})
        if twice:
            raise SpecError(f"treatment {self.agent}: day {twice[0]:g} is given twice; give one dose per day "
                            "(the sum, if two were meant)")
        if self.route not in ROUTES:
            raise SpecError(f"treatment {self.agent}: route {self.route!r} unknown; use one of {', '.join(ROUTES)}")

    @classmethod
    def parse(cls, text: str) -> "Treatment":
        """Parse ``AGENT:DOSE[ug|mg][:ROUTE]@dDAY[,dDAY...]``, e.g. ``anti-pdl1:200ug@d7,d10``."""
        match = _TREATMENT.fullmatch(text.strip())
        if not match:
            raise SpecError(
                f"cannot read treatment {text!r}; write AGENT:DOSE[:ROUTE]@dDAY,dDAY "
                f"e.g. anti-pdl1:200ug@d7,d10 or anti-il6r:2mg:iv@d0"
            )
        agent, amount, unit, route, days = match.groups()
        return cls(agent.lower(), parse_dose(amount + (unit or "")), parse_days(days), (route or "ip").lower())


def parse_dose(text: str) -> float:
    """A dose in ug from ``200``, ``200ug`` or ``0.5 mg`` (the sign is kept for the caller to check)."""
    match = _DOSE.fullmatch(text)
    if not match:
        raise SpecError(f"cannot read dose {text!r}; write e.g. 200ug or 0.5mg")
    return float(match.group(1)) * (1e3 if match.group(2) == "mg" else 1.0)


def parse_days(text: str) -> tuple[float, ...]:
    """Days from ``d7,d10`` or ``-1, 3, 7``."""
    try:
        return tuple(float(d.strip().lstrip("dD")) for d in text.split(",") if d.strip())
    except ValueError:
        raise SpecError(f"cannot read days {text!r}; write e.g. d7,d10 or [7, 10]") from None


def regular_days(start: float, every: float, count: int) -> tuple[float, ...]:
    """``count`` days from ``start``, ``every`` days apart (rounded to 1e-3 day)."""
    return tuple(round(start + k * every, 3) for k in range(count))


_DOSE = re.compile(r"\s*(-?[0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(ug|mg|µg)?\s*")
_TREATMENT = re.compile(
    r"([A-Za-z0-9\-_]+):([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)(ug|mg)?(?::([A-Za-z]+))?"
    r"@((?:[dD]?-?[0-9]*\.?[0-9]+\s*,\s*)*[dD]?-?[0-9]*\.?[0-9]+)"
)


INJECTION_ROUTES = ("intrasplenic", "subcutaneous", "intradermal")


@dataclass(frozen=True)
class Injection:
    """Cancer cells injected on ``day``.

    ``intrasplenic`` cells reach the liver via the portal vein and colonise it as nodules;
    ``subcutaneous`` or ``intradermal`` cells form one local tumour whose volume is measured.
    """

    cells: float = 1e5
    day: float = 0.0
    route: str = "intrasplenic"

    def __post_init__(self) -> None:
        if not 0 < self.cells <= MAX_CELLS:
            raise SpecError(f"injection: cells must be > 0 and at most {MAX_CELLS:g} (about 1 g of cells), "
                            f"got {self.cells:g}")
        if not abs(self.day) <= MAX_DAYS:
            raise SpecError(f"injection: day must be within {MAX_DAYS:g} days of day 0, got {self.day:g}")
        if self.route not in INJECTION_ROUTES:
            raise SpecError(f"injection route {self.route!r} unknown; use one of {', '.join(INJECTION_ROUTES)}")

    @property
    def local(self) -> bool:
        """True for a local (s.c./i.d.) tumour, False for liver colonisation."""
        return self.route != "intrasplenic"


@dataclass(frozen=True)
class Protocol:
    """Everything done to one virtual animal, and how long it is followed."""

    genotype: str = "wt"
    treatments: tuple[Treatment, ...] = ()
    injection: Injection = field(default_factory=Injection)
    days: float = 28.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "treatments", tuple(self.treatments))
        if not 0 < self.days <= MAX_DAYS:
            raise SpecError(f"protocol: days (follow-up) must be > 0 and at most {MAX_DAYS:g}, got {self.days:g}")
        for t in self.treatments:
            late = [d for d in t.days if d > self.days]
            if late:
                raise SpecError(f"treatment {t.agent}: day {late[0]:g} is after the end of follow-up (day {self.days:g})")


@dataclass(frozen=True)
class Dose:
    """A bolus: add ``amount`` (already in the species' unit) to ``species`` at ``day``."""

    day: float
    species: str
    amount: float
    label: str = ""
