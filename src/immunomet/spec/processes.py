"""Processes: a readable rate law and the species it changes (stoichiometry)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..errors import SpecError
from ._frozen import frozen_mapping, reduce_frozen
from .expressions import referenced_names


@dataclass(frozen=True)
class Process:
    """``rate`` is in (species unit)/day for every species in ``changes``.

    ``changes`` maps species to stoichiometric coefficients: ``{"DC_imm": -1, "DC_mat": 1}``.
    """

    name: str
    rate: str
    changes: Mapping[str, float]
    description: str = ""
    parameters: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.changes:
            raise SpecError(f"process {self.name!r} changes no species")
        object.__setattr__(self, "changes", frozen_mapping(self.changes))

    __reduce__ = reduce_frozen

    def names_used(self) -> set[str]:
        return referenced_names(self.rate)

    def reaction_text(self) -> str:
        consumed = [_term(-c, s) for s, c in self.changes.items() if c < 0]
        produced = [_term(c, s) for s, c in self.changes.items() if c > 0]
        return f"{' + '.join(consumed) or '0'} -> {' + '.join(produced) or '0'}"

    def __str__(self) -> str:
        return f"{self.name}: {self.reaction_text()}  rate = {self.rate}"


def _term(coefficient: float, species: str) -> str:
    return species if coefficient == 1 else f"{coefficient:g} {species}"
