"""Parameters with value, unit, prior range and source; an immutable ParameterSet."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace as dc_replace
from typing import Iterable, Iterator, Mapping

from ..errors import SpecError, UnknownNameError
from ..units import Unit, parse_unit


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    ``prior`` is a (low, high) range that holds the value; cohorts draw animal-to-animal
    variability from it and calibration searches within it. ``source`` is a citation (paper,
    DOI) or starts with "assumed" and says why. ``varies`` is False for values that do not
    differ between animals (physical constants, genotype switches, measurement definitions).
    """

    name: str
    value: float
    unit: str
    prior: tuple[float, float]
    source: str
    description: str = ""
    varies: bool = True

    def __post_init__(self) -> None:
        parse_unit(self.unit)
        low, high = self.prior
        if not (math.isfinite(self.value) and low <= self.value <= high):
            raise SpecError(
                f"parameter {self.name!r}: value {self.value} must lie in its prior range [{low}, {high}]"
            )
        if not self.source.strip():
            raise SpecError(f"parameter {self.name!r}: give a source, or 'assumed: <why>'")

    @property
    def unit_object(self) -> Unit:
        return parse_unit(self.unit)

    @property
    def assumed(self) -> bool:
        return self.source.lower().startswith("assumed")


class ParameterSet(Mapping[str, Parameter]):
    """An ordered, immutable collection of parameters. ``replace`` returns a new set."""

    def __init__(self, parameters: Iterable[Parameter]):
        items: dict[str, Parameter] = {}
        for p in parameters:
            if p.name in items:
                raise SpecError(f"parameter {p.name!r} is defined twice")
            items[p.name] = p
        self._items = items

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(f"unknown parameter {name!r}{did_you_mean(name, self._items)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ParameterSet({len(self)} parameters)"

    def value(self, name: str) -> float:
        return self[name].value

    def values_objects(self) -> list[Parameter]:
        return list(self._items.values())

    def values(self) -> dict[str, float]:  # type: ignore[override]
        return {name: p.value for name, p in self._items.items()}

    def replace(self, changes: Mapping[str, float] | None = None, **kwargs: float) -> "ParameterSet":
        """A new set with some values changed; the original is untouched.

        A new value must lie within the parameter's prior range, widened by nothing: to go
        outside it, change the prior with ``with_prior`` first (and say why).
        """
        updates = {**(changes or {}), **kwargs}
        new = dict(self._items)
        for name, value in updates.items():
            new[name] = dc_replace(self[name], value=float(value))
        return ParameterSet(new.values())

    def with_prior(self, name: str, low: float, high: float, source: str) -> "ParameterSet":
        new = dict(self._items)
        new[name] = dc_replace(self[name], prior=(float(low), float(high)), source=source)
        return ParameterSet(new.values())

    def to_records(self) -> list[dict]:
        return [
            {"name": p.name, "value": p.value, "unit": p.unit, "prior_low": p.prior[0],
             "prior_high": p.prior[1], "source": p.source, "description": p.description, "varies": p.varies}
            for p in self._items.values()
        ]


def did_you_mean(name: str, known: Mapping[str, object]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""
