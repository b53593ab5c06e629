"""Fit the model's between-animal variability to the dispersion of untreated control groups.

The targets are data (``models/data/<model>_variability.yaml``, ``targets``): each names a
published dispersion statistic of a control group (a count's between-mouse CV by the method of
moments, or a plain CV), the virtual experiment that reads it, and the entry it fits (the common
``spread`` or one parameter's own log-SD). Each entry is found by bisection on a pool of control
animals with fixed seeds (common random numbers: the statistic is a smooth, rising function of the
entry), at the target's value and at the ends of its published range, which give the entry's
interval. Targets that fit ``spread`` go first; the others are fitted at that spread. No finding
enters (docs/calibration.md, "Fitting the spread to control-group dispersion").
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..models import VariabilityTable, load_variability_table
from ..models.variability_table import DispersionTarget
from ..studies import parse_study, plan_study, run_study

SPREAD_UPPER, LOG_SD_UPPER = 0.3, 1.5   # bisection brackets: a spread of 0.3 already gives count CVs above 2


@dataclass(frozen=True)
class SpreadFitSettings:
    animals: int = 2000
    seed: int = 7
    iterations: int = 16
    follow_up: float = 60.0   # the liver group is followed to read the survival check


@dataclass(frozen=True)
class FittedEntry:
    target: DispersionTarget
    value: float
    interval: tuple[float, float]
    statistic: float      # the model's statistic at ``value``
    status: str           # "fitted", or why the target was not reached


@dataclass(frozen=True)
class AnimalSpreadFit:
    """The fitted entries, the checks read at them (not targets) and the table they came from."""

    entries: tuple[FittedEntry, ...]
    checks: pd.DataFrame
    before: VariabilityTable
    settings: SpreadFitSettings

    def table(self) -> pd.DataFrame:
        rows = []
        for e in self.entries:
            t = e.target
            rows.append({"target": t.id, "statistic": t.statistic, "published": t.value,
                         "published range": f"{t.range[0]:g}-{t.range[1]:g}", "model": e.statistic,
                         "fits": t.fits, "before": self._before(t.fits), "fitted": e.value,
                         "interval": f"{e.interval[0]:.3g}-{e.interval[1]:.3g}", "status": e.status})
        return pd.DataFrame(rows)

    def _before(self, name: str) -> float:
        return self.before.spread if name == "spread" else self.before.log_sd.get(name, float("nan"))

    def values(self) -> dict[str, float]:
        return {e.target.fits: e.value for e in self.entries if e.status == "fitted"}

    def sources(self) -> dict[str, str]:
        s = self.settings
        return {e.target.fits: (
            f"calibrated: fitted to {e.target.id} (published {e.target.value:g}, {e.target.range[0]:g}-"
            f"{e.target.range[1]:g}; model {e.statistic:.3g} at this value; interval {e.interval[0]:.3g}-"
            f"{e.interval[1]:.3g} from the published range; {s.animals} control animals, seed {s.seed}; "
            "docs/calibration.md)") for e in self.entries if e.status == "fitted"}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.table().to_csv(folder / "animal_spread.csv", index=False)
        self.checks.to_csv(folder / "animal_spread_checks.csv", index=False)

    def __str__(self) -> str:
        with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
            return (f"between-animal variability fitted to control-group dispersion ({self.settings.animals} animals "
                    f"per evaluation, seed {self.settings.seed})\n{self.table().to_string(index=False)}\n\nchecks at "
                    f"the fitted values (not targets)\n{self.checks.to_string(index=False)}")


def fit_animal_spread(model: str = "mouse", settings: SpreadFitSettings = SpreadFitSettings()) -> AnimalSpreadFit:
    """Fit every entry of the model's variability table that a dispersion target names."""
    table = load_variability_table(model)
    spread, log_sd = table.spread, dict(table.log_sd)
    entries = []
    for target in sorted(table.targets, key=lambda t: t.fits != "spread"):
        entry = _fit_one(model, target, spread, log_sd, settings)
        entries.append(entry)
        if entry.status == "fitted":
            if target.fits == "spread":
                spread = entry.value
            else:
                log_sd[target.fits] = entry.value
    return AnimalSpreadFit(tuple(entries), _checks(model, spread, log_sd, settings), table, settings)


def _fit_one(model: str, target: DispersionTarget, spread: float, log_sd: dict, settings) -> FittedEntry:
    def at(x: float) -> float:
        if target.fits == "spread":
            return control_statistic(model, target, x, log_sd, settings)
        return control_statistic(model, target, spread, {**log_sd, target.fits: x}, settings)

    upper = SPREAD_UPPER if target.fits == "spread" else LOG_SD_UPPER
    low_end, high_end = at(0.0), at(upper)
    if not low_end <= target.value <= high_end:
        status = (f"not reached: the statistic spans {low_end:.3g}-{high_end:.3g} over 0-{upper:g}")
        return FittedEntry(target, float("nan"), (float("nan"), float("nan")), float("nan"), status)
    solve = [_bisect(at, goal, 0.0, upper, low_end, high_end, settings.iterations)
             for goal in (target.value, *target.range)]
    return FittedEntry(target, solve[0], (solve[1], solve[2]), at(solve[0]), "fitted")


def _bisect(f, goal: float, low: float, high: float, f_low: float, f_high: float, iterations: int) -> float:
    """The x in [low, high] where the rising f crosses ``goal`` (an end if it never does)."""
    if goal <= f_low:
        return low
    if goal >= f_high:
        return high
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        if f(mid) < goal:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def control_statistic(model: str, target: DispersionTarget, spread: float, log_sd: dict, settings) -> float:
    """The target's statistic in a simulated control group with this variability."""
    values = control_readout(model, target.condition, target.readout, spread, log_sd, settings)
    return dispersion_statistic(values, target.statistic)


def dispersion_statistic(values, statistic: str) -> float:
    """``cv``: SD / mean; ``intensity_cv``: a count's between-animal CV by the method of moments,
    sqrt(max(variance - mean, 0)) / mean (the part that is not Poisson). Non-finite values (animals
    that died before the readout) are left out."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    mean, variance = values.mean(), values.var(ddof=1)
    if statistic == "intensity_cv":
        return float(np.sqrt(max(variance - mean, 0.0)) / mean)
    return float(np.sqrt(variance) / mean)


def control_group(model: str, condition: dict, spread: float, log_sd: dict, settings: SpreadFitSettings,
                  follow_up: float | None = None):
    """The study result of untreated control animals of ``condition`` (genotype, route, cells, day)."""
    day, route = float(condition["day"]), str(condition.get("route", "intrasplenic"))
    spec = parse_study({
        "name": "dispersion", "model": model, "seed": settings.seed, "animals_per_arm": settings.animals,
        "follow_up": max(day, follow_up or day), "readout_days": [day],
        "injection": {"route": route, "cells": float(condition["cells"])},
        "variability": {"spread": spread, "log_sd": dict(log_sd)},
        "humane_endpoint": {"above": 1500.0} if route != "intrasplenic" else {},
        "arms": [{"name": "control", "genotype": str(condition.get("genotype", "wt"))}]})
    return run_study(plan_study(spec))


def control_readout(model, condition, readout, spread, log_sd, settings) -> np.ndarray:
    result = control_group(model, condition, spread, log_sd, settings)
    return result.wide(float(condition["day"]))[readout].to_numpy(float)


def _checks(model: str, spread: float, log_sd: dict, settings: SpreadFitSettings) -> pd.DataFrame:
    """Dispersion the fit did not target, read at the fitted values: the liver group's survival CV
    (mice that reached the humane end point) and the share of mice without visible nodules."""
    condition = {"genotype": "wt", "route": "intrasplenic", "cells": 1e5, "day": 21}
    result = control_group(model, condition, spread, log_sd, settings, follow_up=settings.follow_up)
    nodules = result.wide(21.0)["visible_nodules"].to_numpy(float)
    died = result.animals[result.animals["death"].astype(bool)]["survival_day"].to_numpy(float)
    return pd.DataFrame([
        {"check": "visible nodules, WT day 21: mean", "model": float(nodules.mean()), "published": "(target's 92 at day 17)"},
        {"check": "visible nodules, WT day 21: total CV", "model": dispersion_statistic(nodules, "cv"), "published": "0.35"},
        {"check": "WT mice without visible nodules", "model": float(np.mean(nodules == 0)), "published": "-"},
        {"check": f"survival CV, WT liver (mice dead by day {settings.follow_up:g})",
         "model": dispersion_statistic(died, "cv") if died.size > 1 else float("nan"),
         "published": "0.125 (s.c. Lewis lung, time to 1,000 mm3)"}])
