"""Own lab data as a calibration problem: four tab-separated tables, after PEtab (Schmiester et al.
2021, PLoS Comput Biol 17:e1008646), in a folder.

``conditions.tsv``   conditionId, genotype, treatments, cells
                     (treatments: ``;``-separated, e.g. ``anti-pdl1:200ug@d8,d11``; empty for none)
``observables.tsv``  observableId, readout, noiseDistribution, noiseParameter
                     (readout: a lab readout, e.g. visible_nodules, perforin_of_cd8, pdl1_mfi;
                     noiseDistribution: normal | lognormal | poisson | negative_binomial;
                     noiseParameter: the SD (normal: in the readout's unit; lognormal: of its log)
                     or dispersion k (negative_binomial: variance = m + m^2/k), as a number or the
                     id of a row of parameters.tsv; empty for poisson)
``measurements.tsv`` observableId, conditionId, time, measurement   (one row per animal and day)
``parameters.tsv``   parameterId, parameterScale, lowerBound, upperBound, nominalValue, estimate
                     (a model parameter or a noise parameter; scale log10 or lin; estimate 1/0)

The model side of each condition is the typical animal (every parameter at its value), simulated
once per condition; a readout's prediction is its expected value (``readouts.expected_readouts``).
``lint`` returns every problem as one line naming the table, row and column; ``load_problem``
raises the first one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from ..errors import DataError, ImmunometError
from ..readouts import READOUTS
from ..spec import Injection, Model, Protocol, Treatment
from ..spec.limits import MAX_CELLS, MAX_DAYS

TABLES = {
    "conditions": ("conditionId", "genotype", "treatments", "cells"),
    "observables": ("observableId", "readout", "noiseDistribution", "noiseParameter"),
    "measurements": ("observableId", "conditionId", "time", "measurement"),
    "parameters": ("parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"),
}
DISTRIBUTIONS = ("normal", "lognormal", "poisson", "negative_binomial")
SCALES = ("log10", "lin")


@dataclass(frozen=True)
class OwnDataProblem:
    """The four tables of a calibration problem and the model they refer to."""

    conditions: pd.DataFrame
    observables: pd.DataFrame
    measurements: pd.DataFrame
    parameters: pd.DataFrame
    model: Model
    source: str = ""

    @property
    def estimated(self) -> pd.DataFrame:
        return self.parameters[self.parameters["estimate"] == 1].reset_index(drop=True)

    @property
    def names(self) -> list[str]:
        return list(self.estimated["parameterId"])

    def to_scaled(self, values: dict[str, float]) -> np.ndarray:
        return np.array([_scale(values[n], s) for n, s in zip(self.estimated["parameterId"],
                                                              self.estimated["parameterScale"])])

    def from_scaled(self, x) -> dict[str, float]:
        return {n: _unscale(v, s) for n, v, s in zip(self.estimated["parameterId"], x,
                                                   self.estimated["parameterScale"])}

    def scaled_bounds(self) -> list[tuple[float, float]]:
        return [(_scale(lo, s), _scale(hi, s)) for lo, hi, s in zip(
            self.estimated["lowerBound"], self.estimated["upperBound"], self.estimated["parameterScale"])]

    def nominal(self) -> dict[str, float]:
        return dict(zip(self.parameters["parameterId"], self.parameters["nominalValue"].astype(float)))

    def protocol(self, condition_id: str) -> Protocol:
        row = self.conditions.set_index("conditionId").loc[condition_id]
        treatments = tuple(Treatment.parse(t.strip()) for t in str(row["treatments"] or "").split(";") if t.strip())
        last = float(self.measurements.loc[self.measurements["conditionId"] == condition_id, "time"].max())
        return Protocol(str(row["genotype"]), treatments, Injection(cells=float(row["cells"])), last + 1.0)

    def save(self, folder: str | Path) -> Path:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            getattr(self, name).to_csv(out / f"{name}.tsv", sep="\t", index=False)
        return out


def _scale(value: float, scale: str) -> float:
    return float(np.log10(value)) if scale == "log10" else float(value)


def _unscale(value: float, scale: str) -> float:
    return float(10.0 ** value) if scale == "log10" else float(value)


def read_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    path = Path(folder)
    if not path.is_dir():
        raise DataError(f"{path}: no such folder; a problem is a folder with {', '.join(f'{t}.tsv' for t in TABLES)}")
    tables = {}
    for name in TABLES:
        file = path / f"{name}.tsv"
        if not file.is_file():
            raise DataError(f"{file}: missing; a problem needs {', '.join(f'{t}.tsv' for t in TABLES)}")
        try:
            tables[name] = pd.read_csv(file, sep="\t", keep_default_na=False, na_values=[""], dtype=str)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise DataError(f"{file}: not a tab-separated table ({str(exc).splitlines()[0]})") from None
    return tables


def lint(tables: dict[str, pd.DataFrame], model: Model) -> list[str]:
    """Every problem of the tables as one line: "TABLE.tsv row N, column C: what is wrong; fix"."""
    issues = []
    for name, columns in TABLES.items():
        missing = [c for c in columns if c not in tables[name]]
        if missing:
            issues.append(f"{name}.tsv: missing column(s) {', '.join(missing)}; the columns are {', '.join(columns)}")
    if issues:
        return issues
    issues += _lint_parameters(tables["parameters"], model)
    noise_ids = set(tables["parameters"]["parameterId"]) - set(model.parameters)
    issues += _lint_unused_ids(tables["parameters"], noise_ids, set(tables["observables"]["noiseParameter"]), model)
    issues += _lint_conditions(tables["conditions"], model, _last_days(tables["measurements"]))
    issues += _lint_observables(tables["observables"], noise_ids)
    issues += _duplicates(tables["conditions"], "conditions", "conditionId")
    issues += _duplicates(tables["observables"], "observables", "observableId")
    issues += _lint_measurements(tables["measurements"], tables["observables"], set(tables["conditions"]["conditionId"]))
    return issues


def _duplicates(t: pd.DataFrame, table: str, column: str) -> list[str]:
    twice = t[column][t[column].duplicated()]
    return [f"{_where(table, int(i), column)}: {v!r} is used twice; each {column} once" for i, v in twice.items()]


def _lint_unused_ids(t: pd.DataFrame, noise_ids: set[str], used: set[str], model: Model) -> list[str]:
    """A parameterId that is not a model parameter must be a noise parameter of an observable
    (otherwise it is a misspelt model parameter that would be 'fitted' without effect)."""
    from ..spec.parameters import did_you_mean

    return [f"{_where('parameters', i, 'parameterId')}: {pid!r} is neither a model parameter nor the "
            f"noiseParameter of an observable{did_you_mean(pid, model.parameters)}"
            for i, pid in t["parameterId"].items() if pid in noise_ids and pid not in used]


def _where(table: str, i: int, column: str) -> str:
    return f"{table}.tsv row {i + 2}, column {column}"  # row 1 is the header


def _number(text, positive: bool = False) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) and (value > 0 or not positive) else None


def _lint_parameters(t: pd.DataFrame, model: Model) -> list[str]:
    issues = []
    for i, row in t.iterrows():
        scale = row["parameterScale"]
        if scale not in SCALES:
            issues.append(f"{_where('parameters', i, 'parameterScale')}: {scale!r}; use log10 or lin")
        numbers = {c: _number(row[c], positive=scale == "log10") for c in ("lowerBound", "upperBound", "nominalValue")}
        for c, v in numbers.items():
            if v is None:
                issues.append(f"{_where('parameters', i, c)}: {row[c]!r} is not a {'positive ' if scale == 'log10' else ''}"
                              "number")
        lo, hi, nom = numbers.values()
        if None not in (lo, hi, nom) and not lo <= nom <= hi or (lo is not None and hi is not None and lo >= hi):
            issues.append(f"{_where('parameters', i, 'nominalValue')}: needs lowerBound < upperBound and the "
                          "nominal value between them")
        if row["parameterId"] in model.parameters and None not in (lo, hi):
            plo, phi = model.parameters[row["parameterId"]].prior
            if lo < plo or hi > phi:
                issues.append(f"{_where('parameters', i, 'lowerBound/upperBound')}: {row['parameterId']} must stay "
                              f"within its prior [{plo:g}, {phi:g}] (see 'immunomet model show')")
        if row["estimate"] not in ("0", "1"):
            issues.append(f"{_where('parameters', i, 'estimate')}: {row['estimate']!r}; use 1 (estimate) or 0 (fixed)")
    if t["parameterId"].duplicated().any():
        issues.append(f"parameters.tsv: parameterId {t['parameterId'][t['parameterId'].duplicated()].iloc[0]!r} twice")
    if not (t["estimate"] == "1").any():
        issues.append("parameters.tsv: no row has estimate 1; mark the parameters to fit")
    return issues


def _last_days(t: pd.DataFrame) -> dict[str, float]:
    """Each condition's last measurement day (unreadable days skipped: they are reported elsewhere)."""
    days = pd.to_numeric(t["time"], errors="coerce")
    return days.groupby(t["conditionId"]).max().dropna().to_dict()


def _lint_conditions(t: pd.DataFrame, model: Model, last_days: dict[str, float]) -> list[str]:
    issues = []
    for i, row in t.iterrows():
        follow_up = last_days.get(row["conditionId"], 30.0) + 1.0  # the fit follows a condition one day past it
        try:
            treatments = tuple(Treatment.parse(x.strip()) for x in str(row["treatments"] or "").split(";")
                               if x.strip() and row["treatments"] == row["treatments"])
            model.resolve(Protocol(str(row["genotype"]), treatments, Injection(cells=1.0), min(follow_up, MAX_DAYS)))
        except ImmunometError as exc:
            issues.append(f"{_where('conditions', i, 'genotype/treatments')}: {exc}")
        cells = _number(row["cells"], positive=True)
        if cells is None or cells > MAX_CELLS:
            issues.append(f"{_where('conditions', i, 'cells')}: {row['cells']!r} is not a number of cells in "
                          f"(0, {MAX_CELLS:g}]")
    return issues


def _lint_observables(t: pd.DataFrame, noise_ids: set[str]) -> list[str]:
    issues, readouts = [], {r.name for r in READOUTS}
    for i, row in t.iterrows():
        if row["readout"] not in readouts:
            issues.append(f"{_where('observables', i, 'readout')}: {row['readout']!r}; use one of {', '.join(sorted(readouts))}")
        dist, noise = row["noiseDistribution"], row["noiseParameter"]
        if dist not in DISTRIBUTIONS:
            issues.append(f"{_where('observables', i, 'noiseDistribution')}: {dist!r}; use one of {', '.join(DISTRIBUTIONS)}")
        elif dist != "poisson" and _number(noise, positive=True) is None and noise not in noise_ids:
            issues.append(f"{_where('observables', i, 'noiseParameter')}: {noise!r} is neither a positive number nor "
                          "a parameterId of parameters.tsv")
    return issues


def _lint_measurements(t: pd.DataFrame, observables: pd.DataFrame, conditions: set[str]) -> list[str]:
    issues = []
    distribution = dict(zip(observables["observableId"], observables["noiseDistribution"]))
    for i, row in t.iterrows():
        if row["observableId"] not in distribution:
            issues.append(f"{_where('measurements', i, 'observableId')}: {row['observableId']!r} is not in observables.tsv")
        if row["conditionId"] not in conditions:
            issues.append(f"{_where('measurements', i, 'conditionId')}: {row['conditionId']!r} is not in conditions.tsv")
        day = _number(row["time"], positive=True)
        if day is None or day > MAX_DAYS:
            issues.append(f"{_where('measurements', i, 'time')}: {row['time']!r} is not a day in (0, {MAX_DAYS:g}]")
        value = _number(row["measurement"])
        if value is None:
            issues.append(f"{_where('measurements', i, 'measurement')}: {row['measurement']!r} is not a number")
        else:
            problem = _outside_support(value, distribution.get(row["observableId"]))
            if problem:
                issues.append(f"{_where('measurements', i, 'measurement')}: {row['measurement']!r} {problem}")
    if t.empty:
        issues.append("measurements.tsv: no measurements")
    return issues


def _outside_support(value: float, distribution: str | None) -> str:
    """Why ``value`` cannot come from ``distribution`` ("" if it can)."""
    if distribution == "lognormal" and value <= 0:
        return "cannot come from a log-normal observable (values > 0); use noiseDistribution normal"
    if distribution in ("poisson", "negative_binomial") and (value < 0 or value != int(value)):
        return f"is not a count (a whole number >= 0) for a {distribution} observable"
    return ""


def load_problem(folder: str | Path, model: Model) -> OwnDataProblem:
    """Read, lint (the first issue is raised as a DataError) and type the tables."""
    tables = read_tables(folder)
    issues = lint(tables, model)
    if issues:
        more = f" (and {len(issues) - 1} more; 'immunomet fit --lint' lists all)" if len(issues) > 1 else ""
        raise DataError(f"{Path(folder)}/{issues[0]}{more}")
    params = tables["parameters"].astype({"lowerBound": float, "upperBound": float, "nominalValue": float,
                                          "estimate": int})
    meas = tables["measurements"].astype({"time": float, "measurement": float})
    conds = tables["conditions"].fillna({"treatments": ""}).astype({"cells": float})
    return OwnDataProblem(conds, tables["observables"].fillna({"noiseParameter": ""}), meas, params, model, str(folder))


def log_likelihood_terms(y: np.ndarray, m: np.ndarray, distribution: str, noise: float) -> np.ndarray:
    """Log-density of each measurement ``y`` given its prediction ``m``."""
    m = np.maximum(np.asarray(m, float), 1e-12)
    if distribution == "normal":
        return -0.5 * ((y - m) / noise) ** 2 - np.log(noise) - 0.5 * np.log(2 * np.pi)
    if distribution == "lognormal":
        ly = np.log(np.maximum(y, 1e-12))
        return -0.5 * ((ly - np.log(m)) / noise) ** 2 - np.log(noise) - 0.5 * np.log(2 * np.pi) - ly
    if distribution == "poisson":
        return y * np.log(m) - m - special.gammaln(y + 1)
    k = noise  # negative binomial, mean m, variance m + m^2/k
    return (special.gammaln(y + k) - special.gammaln(k) - special.gammaln(y + 1) + k * np.log(k / (k + m))
            + y * np.log(m / (k + m)))
