"""A study's results: per-animal tables, per-arm summaries, a figure, saving with provenance."""
from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..readouts import UNITS
from .job import KEYS, TABLES

SUMMARY_READOUTS = {  # readout -> (column label, format)
    "visible_nodules": ("nodules", "{:.0f}"),
    "tumour_volume": ("volume mm3", "{:.0f}"),
    "liver_weight": ("liver g", "{:.2f}"),
    "tumour_area": ("area %", "{:.1f}"),
    "cd8_of_cd45": ("CD8/CD45 %", "{:.1f}"),
    "perforin_of_cd8": ("Prf+ %", "{:.1f}"),
    "mhc2hi_of_dc": ("MHCIIhi %", "{:.1f}"),
    "il12_of_dc": ("IL12+ %", "{:.1f}"),
    "pdl1_mfi": ("PD-L1", "{:.2f}"),
    "serum_il6": ("IL-6 pg/mL", "{:.1f}"),
}


class _Table:
    """A table attribute of ``StudyResult``: a DataFrame, or a loader called on first use (a run
    folder's table is read from its Parquet parts only when something asks for it)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, result, owner=None):
        if result is None:
            return self
        value = result._tables[self.name]
        if callable(value):
            value = result._tables[self.name] = value()
        return value

    def __set__(self, result, value) -> None:
        result._tables[self.name] = value


class StudyResult:
    """Tables of a study run: ``animals`` (status, survival), ``readouts`` (arm, animal, day and a
    column per readout), ``timecourses`` (arm, animal, whole day and a column per variable) and
    ``parameters`` (arm, animal and a column per parameter that varies between animals). Rows are
    ordered by the study's arm order, then animal (then day). ``tidy_readouts()`` gives the long form.
    A table may be given as a loader (a function of no arguments): it is read when first used."""

    animals = _Table()
    readouts = _Table()
    timecourses = _Table()
    parameters = _Table()

    def __init__(self, animals: pd.DataFrame | Callable[[], pd.DataFrame],
                 readouts: pd.DataFrame | Callable[[], pd.DataFrame],
                 timecourses: pd.DataFrame | Callable[[], pd.DataFrame],
                 parameters: pd.DataFrame | Callable[[], pd.DataFrame], provenance: dict[str, Any] | None = None):
        self._tables = {"animals": animals, "readouts": readouts, "timecourses": timecourses, "parameters": parameters}
        self.provenance = {} if provenance is None else provenance

    def __copy__(self) -> "StudyResult":
        return StudyResult(**self._tables, provenance=self.provenance)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame], arm_order: list[str], provenance: dict) -> "StudyResult":
        """From the run core's tables (a mapping that may read each one on demand), each table
        ordered when first used."""
        return cls(**{name: partial(_ordered_table, tables, name, arm_order) for name in TABLES},
                   provenance=provenance)

    @property
    def arms(self) -> list[str]:
        return list(self.provenance.get("arms", pd.unique(self.animals["arm"])))

    @property
    def n_failed(self) -> int:
        return int((self.animals["status"] != "success").sum())

    def wide(self, day: float | None = None) -> pd.DataFrame:
        """One row per animal and readout day, one column per readout (of ``day`` only, if given)."""
        table = self.readouts if day is None else self.readouts[self.readouts["day"] == day]
        return table.reset_index(drop=True)

    def tidy_readouts(self) -> pd.DataFrame:
        """Long form of the readouts: arm, animal, day, readout, value, unit."""
        long = self.readouts.melt(id_vars=["arm", "animal", "day"], var_name="readout")
        long["unit"] = long["readout"].map(UNITS)
        return long

    def summary(self) -> pd.DataFrame:
        """One row per arm and readout day: readout means (nodules: median), deaths, median survival."""
        rows = []
        wide = self.wide()
        for arm in self.arms:
            animals = self.animals[self.animals["arm"] == arm]
            base = {"arm": arm, "part": animals["part"].iloc[0] if len(animals) else "", "n": len(animals),
                    "failed": int((animals["status"] != "success").sum()),
                    "deaths": int(animals["death"].sum()), "median_survival": _median_survival(animals)}
            readouts = wide[wide["arm"] == arm]
            days = sorted(readouts["day"].unique()) or [float("nan")]
            for day in days:
                at_day = readouts[readouts["day"] == day]
                measured = int(at_day.drop(columns=["arm", "animal", "day"]).notna().any(axis=1).sum())
                row = {**base, "day": day, "measured": measured if len(at_day) else 0}
                for name in SUMMARY_READOUTS:
                    if name in at_day and at_day[name].notna().any():
                        values = at_day[name]
                        row[name] = float(values.median() if name == "visible_nodules" else values.mean())
                rows.append(row)
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        prov = self.provenance
        lines = [f"immunomet study {prov.get('study', '?')}: {len(self.animals)} virtual mice, "
                 f"{self.n_failed} failed, seed {prov.get('seed')}, model {prov.get('model_hash')}"]
        summary = self.summary()
        for part, table in summary.groupby("part", sort=False):
            lines += ["", f"[{part}]", _format_part(table)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<StudyResult {self.provenance.get('study')} animals={len(self.animals)} failed={self.n_failed}>"

    def save(self, directory: str | Path) -> Path:
        """Write the four tables as Parquet and provenance.json into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            getattr(self, name).to_parquet(out / f"{name}.parquet", index=False)
        (out / "provenance.json").write_text(json.dumps(self.provenance, indent=2, default=str))
        return out

    def plot(self, path: str | Path | None = None):
        """Nodules, liver weight, flow and survival per arm as a matplotlib Figure."""
        from .plotting import plot_study

        return plot_study(self, path)


def _ordered_table(tables: Mapping[str, pd.DataFrame], name: str, arm_order: list[str]) -> pd.DataFrame:
    return _ordered(tables[name], arm_order, KEYS[name])


def _ordered(table: pd.DataFrame, arm_order: list[str], keys: tuple[str, ...]) -> pd.DataFrame:
    """Rows by arm order, then ``keys`` (tables from the run core are already in this order)."""
    if table.empty:
        return table.reset_index(drop=True)
    rank = table["arm"].map({a: i for i, a in enumerate(arm_order)}).to_numpy()
    columns = [rank] + [table[k].to_numpy() for k in keys[1:]]
    order = np.lexsort(columns[::-1])
    if np.all(order[1:] > order[:-1]):
        return table.reset_index(drop=True)
    return table.iloc[order].reset_index(drop=True)


def _median_survival(animals: pd.DataFrame) -> float:
    """Kaplan-Meier median time to the end point. Censoring here happens only at the end of
    follow-up, so S(t) is the share not yet dead and the median is the ceil(n/2)-th death."""
    ok = animals[animals["status"] == "success"]
    deaths = np.sort(ok.loc[ok["death"].astype(bool), "survival_day"].to_numpy(dtype=float))
    k = int(np.ceil(len(ok) / 2))
    return float(deaths[k - 1]) if len(ok) and len(deaths) >= k else float("nan")


def _format_part(table: pd.DataFrame) -> str:
    shown = table[["arm", "n"]].copy()
    if table["arm"].duplicated().any():  # several readout days
        shown["day"] = table["day"].map(lambda v: f"{v:g}" if np.isfinite(v) else "-")
    for name, (label, fmt) in SUMMARY_READOUTS.items():
        if name in table and table[name].notna().any():
            shown[label] = table[name].map(lambda v, f=fmt: f.format(v) if np.isfinite(v) else "-")
    if table["deaths"].sum() or table["part"].iloc[0] == "survival":
        last = ~table["arm"].duplicated(keep="last")
        shown["deaths"] = table["deaths"].where(last, "").astype(str)
        shown["median survival d"] = [(f"{v:.1f}" if np.isfinite(v) else "not reached") if keep else ""
                                      for v, keep in zip(table["median_survival"], last)]
    read = table["day"].notna()
    if (table.loc[read, "measured"] != table.loc[read, "n"]).any():
        shown["measured"] = table["measured"].where(read, 0).astype(int)
    if table["failed"].any():
        shown["failed"] = table["failed"]
    return shown.to_string(index=False)
