"""Every animal's bolus doses as arrays (animals x doses), built per protocol, not per animal.

Animals under one protocol get the same doses, except that the injected cells that seed the
tumour scale with each animal's own share parameter (``Model.injection_share_parameter``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..spec import Dose, Model, Protocol
from ..spec.model import INJECTED_CELLS


@dataclass(frozen=True, eq=False)
class DoseTable:
    """Doses in day order per animal: ``day`` (inf pads a shorter row), ``species`` (model
    index), ``amount`` (in the species' unit)."""

    day: np.ndarray
    species: np.ndarray
    amount: np.ndarray

    def first_day(self) -> float:
        """The earliest dose of any animal (or +inf without doses)."""
        return float(self.day.min()) if self.day.size else np.inf

    def animal(self, i: int, species_names) -> list[Dose]:
        keep = np.isfinite(self.day[i])
        return [Dose(float(d), species_names[s], float(a)) for d, s, a in
                zip(self.day[i, keep], self.species[i, keep], self.amount[i, keep])]


def dose_table(model: Model, protocols: tuple[Protocol, ...], parameters: np.ndarray) -> DoseTable:
    """The doses of animals with ``protocols[i]`` and parameter rows ``parameters[i]``."""
    compiled = model.compile()
    groups: dict[Protocol, list[int]] = {}
    for i, protocol in enumerate(protocols):
        groups.setdefault(protocol, []).append(i)
    templates = {p: model.doses(p, 1.0) for p in groups}
    width = max([len(t) for t in templates.values()] + [1])
    n = len(protocols)
    day, species, amount = np.full((n, width), np.inf), np.zeros((n, width), np.int64), np.zeros((n, width))
    share = None
    if model.colonisation is not None:
        share = parameters[:, compiled.parameter_index[model.injection_share_parameter(protocols[0].injection)]]
    for protocol, rows in groups.items():
        rows = np.asarray(rows)
        for k, dose in enumerate(templates[protocol]):
            day[rows, k] = dose.day
            species[rows, k] = compiled.species_index[dose.species]
            amount[rows, k] = protocol.injection.cells * share[rows] if dose.label == INJECTED_CELLS else dose.amount
    return DoseTable(day, species, amount)
