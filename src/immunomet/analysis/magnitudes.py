"""Published magnitudes beside the model's: each readout of ``models/data/magnitudes.yaml`` simulated
as the virtual experiment it describes (a cohort with the study defaults' variability and noise),
its median (or the statistic the entry names) set beside the published range.

``magnitudes_table`` runs them (a few studies, grouped by injection route and dose, and the
built-in patient cohort); ``magnitudes_markdown`` writes docs/magnitudes.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from ..readouts import UNITS
from ..studies import load_builtin_trial, parse_study, plan_study, plan_trial, run_study, run_trial
from .dfs import HIGH, LOW, dfs_at, dfs_table, hazard_ratio_row, serum_strata
from .survival import kaplan_meier

EXTRA_UNITS = {"survival_median": "days", "tumour_taken": "share of mice", "dfs_3y": "share of patients",
               "dfs_hr_serum_il6_high": "hazard ratio",
               "serum_il6_median": "pg/mL"}


@dataclass(frozen=True)
class Magnitude:
    id: str
    readout: str
    condition: dict
    low: float
    high: float
    source: str
    certainty: str
    use: str

    @property
    def unit(self) -> str:
        return UNITS.get(self.readout) or EXTRA_UNITS.get(self.readout, "")

    @property
    def on_patients(self) -> bool:
        return self.condition.get("model") == "patient"

    def describe(self) -> str:
        c = self.condition
        if self.on_patients:
            when = f"day {c['day']:g}" if c["day"] < 365 else f"year {c['day'] / 365.25:.0f}"
            return f"untreated patients, {when}"
        return f"{c['genotype']}, {c['cells']:.0e} cells {c['route']}, day {c['day']:g}"


def load_magnitudes() -> list[Magnitude]:
    text = resources.files("immunomet.models").joinpath("data", "magnitudes.yaml").read_text()
    return [Magnitude(e["id"], e["readout"], _numbers(e["condition"]), float(e["range"][0]), float(e["range"][1]),
                      e["source"], e["certainty"], e["use"]) for e in yaml.safe_load(text)]


def _numbers(condition: dict) -> dict:
    """Cells and days as numbers (YAML 1.1 reads 1.0e5 as text)."""
    return {k: float(v) if k in ("cells", "day") else v for k, v in condition.items()}


def magnitudes_table(magnitudes: list[Magnitude] | None = None, *, model=None, animals: int = 30, seed: int = 1,
                     patients: int = 1000) -> pd.DataFrame:
    """One row per magnitude: the published range, the model's value and whether it lies inside."""
    magnitudes = magnitudes or load_magnitudes()
    values = _mouse_values([m for m in magnitudes if not m.on_patients], model, animals, seed)
    values |= _patient_values([m for m in magnitudes if m.on_patients], patients, seed)
    rows = [{"id": m.id, "readout": m.readout, "condition": m.describe(), "unit": m.unit, "low": m.low,
             "high": m.high, "model": values.get(m.id, np.nan), "inside": m.low <= values.get(m.id, np.nan) <= m.high,
             "certainty": m.certainty, "use": m.use, "source": m.source} for m in magnitudes]
    return pd.DataFrame(rows)


def _mouse_values(magnitudes: list[Magnitude], model, animals: int, seed: int) -> dict[str, float]:
    groups: dict[tuple, list[Magnitude]] = {}
    for m in magnitudes:
        groups.setdefault((m.condition["route"], float(m.condition["cells"])), []).append(m)
    out = {}
    for (route, cells), group in groups.items():
        genotypes = sorted({m.condition["genotype"] for m in group})
        days = sorted({float(m.condition["day"]) for m in group if m.readout in UNITS})
        follow_up = max(float(m.condition["day"]) for m in group)
        spec = parse_study({"name": "magnitudes", "seed": seed, "animals_per_arm": animals, "follow_up": follow_up,
                            "readout_days": days, "injection": {"route": route, "cells": cells},
                            "humane_endpoint": {"above": 1500.0} if route != "intrasplenic" else {},
                            "arms": [{"name": g, "genotype": g} for g in genotypes]})
        plan = plan_study(spec)
        if model is not None:
            from dataclasses import replace

            plan = replace(plan, model=model)
        result = run_study(plan)
        for m in group:
            out[m.id] = _statistic(m, result)
    return out


def _statistic(m: Magnitude, result) -> float:
    arm = m.condition["genotype"]
    animals = result.animals[result.animals["arm"] == arm]
    if m.readout == "survival_median":
        return float(kaplan_meier(result.animals, [arm])[arm].median_survival_time_)
    if m.readout == "tumour_taken":
        return float(1.0 - animals["tumour_free"].mean())
    wide = result.wide(float(m.condition["day"]))
    return float(wide.loc[wide["arm"] == arm, m.readout].median())


def _patient_values(magnitudes: list[Magnitude], patients: int, seed: int) -> dict[str, float]:
    if not magnitudes:
        return {}
    spec = load_builtin_trial("dfs_by_il6").model_copy(update={"patients_per_arm": patients, "seed": seed})
    for m in magnitudes:  # serum is sampled on the entry's day
        if m.readout == "serum_il6_median":
            population = spec.population.model_copy(update={"serum_day": m.condition["day"]})
            spec = spec.model_copy(update={"population": population})
    cohort = run_trial(plan_trial(spec)).patients
    table = dfs_table(cohort)
    out = {}
    for m in magnitudes:
        if m.readout == "dfs_3y":
            overall = table.assign(arm="all")
            out[m.id] = float(dfs_at(overall, ["all"], years=(3,))["dfs_3y_%"].iloc[0]) / 100.0
        elif m.readout == "dfs_hr_serum_il6_high":  # as the published cohorts measured: a serum sample
            split = serum_strata(cohort, spec.population.il6_high_fraction)
            out[m.id] = float(hazard_ratio_row(dfs_table(split), HIGH, LOW)["hr"])
        elif m.readout == "serum_il6_median":  # the patients' serum samples (on the population's serum day)
            out[m.id] = float(cohort.loc[cohort["status"] == "success", "serum_il6_measured"].median())
    return out


def magnitudes_markdown(table: pd.DataFrame, model_hash: str) -> str:
    """docs/magnitudes.md: the table, the model's values and a note per deviation."""
    lines = ["# Published magnitudes beside the model's", "",
             "Generated by `immunomet model magnitudes --write docs/magnitudes.md` from "
             "`src/immunomet/models/data/magnitudes.yaml` and the default model "
             f"(model hash `{model_hash}`); do not edit by hand. Each row is a virtual experiment "
             "(30 mice per arm with the studies' default variability and assay noise; the median, or the "
             "statistic the readout names), set beside the range published work supports. Certainty: R read "
             "in the source, D derived from read numbers, A assumed (no published number found: a "
             "plausibility bound, never a calibration target). `use`: calibration targets and checks are "
             "kept apart from the out-of-sample validation suite (`validation/`).", "",
             "| id | readout | condition | published range | model | inside | certainty | use |",
             "|---|---|---|---|---|---|---|---|"]
    for r in table.to_dict("records"):
        lines.append(f"| {r['id']} | {r['readout']} ({r['unit']}) | {r['condition']} | {r['low']:g}-{r['high']:g} | "
                     f"{r['model']:.3g} | {'yes' if r['inside'] else '**no**'} | {r['certainty']} | {r['use']} |")
    lines += ["", "## Sources", ""]
    lines += [f"- **{r['id']}**: {r['source']}" for r in table.to_dict("records")]
    outside = table[~table["inside"]]
    lines += ["", "## Outside the range", ""]
    lines += ([f"- **{r['id']}**: model {r['model']:.3g} against {r['low']:g}-{r['high']:g}." for r in
               outside.to_dict("records")] or ["Every readout lies inside its range."])
    return "\n".join(lines) + "\n"
