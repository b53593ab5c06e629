"""The result of simulating one animal: trajectories, solver status, nodules, provenance."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .colonization import LineageStatistics, NoduleSample
from .status import SolveStatus

SUMMARY_FIELDS = {
    "visible_nodules": "visible liver nodules",
    "nodules_total": "surviving lineages (incl. microscopic)",
    "tumour_burden": "cancer cells in the liver",
    "cd8_effector": "effector CD8 in the foci (cells)",
    "pdl1": "PD-L1 on cancer cells (x baseline)",
    "il6": "serum IL-6 (pg/mL)",
}


@dataclass
class SimulationResult:
    """Trajectories of one virtual animal (a view of one animal of a ``CohortResult``).

    ``species`` and ``observables`` are wide tables indexed by day; ``tidy()`` gives the long
    form. ``status`` is a ``SolveStatus`` (``SUCCESS``, or how the solve failed: then ``message``
    says why and the tables hold the trajectory up to the failure).
    """

    species: pd.DataFrame
    observables: pd.DataFrame
    units: dict[str, str]
    status: SolveStatus
    message: str
    lineages: LineageStatistics | None
    nodules: NoduleSample | None
    provenance: dict[str, Any] = field(default_factory=dict)
    source: tuple[Any, int] | None = field(default=None, repr=False, compare=False)  # (CohortResult, index)

    @property
    def ok(self) -> bool:
        return self.status is SolveStatus.SUCCESS

    @property
    def days(self) -> np.ndarray:
        return self.species.index.to_numpy()

    def series(self, name: str) -> pd.Series:
        """The trajectory of a species or observable, by name."""
        return self.species[name] if name in self.species else self.observables[name]

    def final(self, name: str) -> float:
        return float(self.series(name).iloc[-1])

    def summary(self) -> dict[str, float]:
        nod = self.nodules
        return {
            "day": float(self.days[-1]),
            "visible_nodules": float(nod.visible) if nod else float("nan"),
            "nodules_total": float(len(nod.sizes)) if nod else float("nan"),
            "tumour_burden": self.final("cancer_cells"),
            "cd8_effector": self.final("cd8_effector"),
            "pdl1": self.final("pdl1"),
            "il6": self.final("il6"),
        }

    def __str__(self) -> str:
        s = self.summary()
        prov = self.provenance
        lines = [f"immunomet simulation: {prov.get('protocol_text', '')}",
                 f"  status: {self.status}{'' if self.ok else ' - ' + self.message}",
                 f"  day {s['day']:g}:"]
        for key, label in SUMMARY_FIELDS.items():
            value = s[key]
            text = f"{value:,.0f}" if key in ("visible_nodules", "nodules_total") else f"{value:.3g}"
            lines.append(f"    {label:<42} {text}")
        lines.append(f"  model {prov.get('model')} ({prov.get('model_hash')}), seed {prov.get('seed')}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<SimulationResult {self.status} days={self.days[-1]:g} model={self.provenance.get('model_hash')}>"

    def tidy(self) -> pd.DataFrame:
        """Long table: day, variable, kind (species/observable), value, unit."""
        parts = []
        for kind, table in (("species", self.species), ("observable", self.observables)):
            long = table.rename_axis("day").reset_index().melt(id_vars="day", var_name="variable")
            long["kind"] = kind
            parts.append(long)
        out = pd.concat(parts, ignore_index=True)
        out["unit"] = out["variable"].map(self.units)
        return out[["day", "variable", "kind", "value", "unit"]]

    def nodule_table(self) -> pd.DataFrame:
        sizes = self.nodules.sizes if self.nodules else np.zeros(0)
        threshold = self.nodules.visible_threshold if self.nodules else np.nan
        return pd.DataFrame({"nodule": np.arange(len(sizes)), "cells": sizes, "visible": sizes >= threshold})

    def save(self, directory: str | Path) -> Path:
        """Write trajectories.parquet, nodules.parquet and provenance.json into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.tidy().to_parquet(out / "trajectories.parquet", index=False)
        self.nodule_table().to_parquet(out / "nodules.parquet", index=False)
        payload = {**self.provenance, "status": self.status.value, "message": self.message, "summary": self.summary()}
        (out / "provenance.json").write_text(json.dumps(payload, indent=2, default=str))
        return out

    def plot(self, path: str | Path | None = None):
        """Key trajectories as a matplotlib Figure (saved as PNG if ``path`` is given)."""
        from .plotting import plot_result

        return plot_result(self, path)
