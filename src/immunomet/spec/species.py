"""Compartments and species (cells, cytokines, receptor/ligand states, drugs)."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecError
from ..units import parse_unit


@dataclass(frozen=True)
class Compartment:
    name: str
    description: str


@dataclass(frozen=True)
class Species:
    """A state variable. ``initial`` is a number in ``unit`` or the name of a parameter."""

    name: str
    compartment: str
    unit: str
    initial: float | str
    kind: str  # cell, cytokine, state, drug
    description: str = ""

    def __post_init__(self) -> None:
        parse_unit(self.unit)
        if self.kind not in {"cell", "cytokine", "state", "drug"}:
            raise SpecError(f"species {self.name!r}: kind must be cell, cytokine, state or drug")


@dataclass(frozen=True)
class Rule:
    """A named derived quantity (an assignment rule), e.g. a signal or a concentration."""

    name: str
    expression: str
    unit: str
    description: str = ""

    def __post_init__(self) -> None:
        parse_unit(self.unit)

