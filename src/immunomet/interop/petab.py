"""Export an own-data problem (``calibration.own_data``) as a PEtab v1 problem (Schmiester et al.
2021, PLoS Comput Biol 17:e1008646), so that pyPESTO, AMICI, Data2Dynamics or PEtab.jl can fit it.

Written to the output folder: ``problem.yaml``, ``model.xml`` (one SBML model, ``interop.sbml``),
``conditions.tsv``, ``observables.tsv``, ``measurements.tsv`` and ``parameters.tsv``.

Conditions. PEtab v1 has one model for all conditions, and a condition can only set parameters
and initial values. So everything a condition changes is a parameter of the one model, set in the
condition table:
- the genotype's parameter edits (e.g. ``host_il6`` 0 for Il6-/-, its model value elsewhere);
- ``cells_injected`` (the injected cells; ``cells_injected * f_liver_arrest`` seed the liver);
- one dose amount per (dosed species, day) that any condition uses, e.g. ``dose_apdl1_ip_d8``
  for anti-PD-L1 into the peritoneum on day 8: the amount in conditions given that dose, 0 in the
  others. Each is an SBML event at a fixed time, so the dosing days are part of the model (a new
  day needs a new export) and no event time depends on a parameter.
Only conditions with measurements are written (the fit uses no others).

Time. PEtab time 0 is day 0 (the injection) or, if a dose comes earlier (anti-CD8 on day -1), that
day: measurement times are days minus that offset, the SBML parameter ``day_offset``.

Observables. Each own-data observable ``X`` becomes ``obs_X`` (PEtab ids must not shadow model
ids, and own-data ids such as ``pdl1`` name species). Every lab readout is a function of the SBML model's state, as immunomet's
prediction (``readouts.expected_readouts``) is: flow percentages are 100 x their rules, MFIs and
serum IL-6 are species, and ``visible_nodules`` is ``expected_visible_nodules``, the expected
count from Kendall's closed form, carried by two ODE variables in the SBML (``interop.sbml``).

Noise. normal -> normal on the linear scale, SD = the own noise parameter; lognormal -> normal
on the log scale (``observableTransformation`` log: natural log, SD of the log), both exact.
PEtab v1 has no count distributions, so poisson and negative_binomial are written as a normal
with the count model's mean and variance, m and m + m^2/k (poisson: m), plus 1/(2 pi): with it a
zero count predicted as zero has log-density 0, as under the count model, where without it the
density would grow without bound as m -> 0. This is an approximation (symmetric, continuous) of
the likelihood immunomet's own fit uses; the fitted values can differ, most with few, small
counts.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..calibration.own_data import OwnDataProblem, load_problem
from ..errors import DataError
from ..readouts import READOUTS
from ..spec import Injection, Model, Protocol, Treatment
from .sbml import CELLS, VISIBLE, Bolus, Extra, build_document, injection_boluses, lineage_time

OBSERVABLE_PREFIX = "obs_"  # PEtab observable ids must not shadow model ids (own-data "pdl1" vs species pdl1)
COUNT_FLOOR = 1.0 / (2.0 * math.pi)  # added to a count's variance (see the module docstring)
_ID = re.compile(r"^[A-Za-z_]\w*$")
_FLOW_RULES = {r.name: r.name for r in READOUTS if r.kind == "flow"}
READOUT_FORMULAS = {
    **{name: f"100 * {rule}" for name, rule in _FLOW_RULES.items()},
    "visible_nodules": VISIBLE,
    "liver_weight": "liver_weight",
    "tumour_area": "100 * tumour_area_fraction",
    "tumour_volume": "tumour_volume",
    "pdl1_mfi": "pdl1",
    "mhc1_mfi": "mhc1",
    "serum_il6": "il6",
}


@dataclass(frozen=True)
class PetabProblem:
    """The PEtab v1 tables and SBML text of one own-data problem."""

    sbml: str
    conditions: pd.DataFrame
    observables: pd.DataFrame
    measurements: pd.DataFrame
    parameters: pd.DataFrame
    day_offset: float

    def save(self, folder: str | Path) -> Path:
        out = Path(folder)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "model.xml").write_text(self.sbml)
            for name in ("conditions", "observables", "measurements", "parameters"):
                getattr(self, name).to_csv(out / f"{name}.tsv", sep="\t", index=False)
            (out / "problem.yaml").write_text(yaml.safe_dump(_problem_yaml(), sort_keys=False))
        except OSError as exc:
            raise DataError(f"{out}: cannot write the PEtab problem ({exc.strerror}); give a writable folder") from None
        return out


def export_petab(folder: str | Path, out: str | Path, model: Model) -> PetabProblem:
    """Read, lint and convert the own-data problem in ``folder``; write it to ``out``."""
    problem = petab_problem(load_problem(folder, model))
    problem.save(out)
    return problem


def petab_problem(problem: OwnDataProblem) -> PetabProblem:
    """The PEtab v1 form of a loaded own-data problem."""
    source = Path(problem.source or ".")
    _check_ids(problem, source)
    protocols = {c: _protocol(problem, c) for c in problem.conditions["conditionId"]
                 if c in set(problem.measurements["conditionId"])}
    model = problem.model
    resolved = {c: model.resolve(p) for c, p in protocols.items()}
    start = min([0.0, *(d.day for _, doses in resolved.values() for d in doses)])
    dose_ids, amounts = _dose_parameters(model, resolved, start)
    conditions = _condition_table(problem, protocols, amounts)
    _check_parameters(problem, set(conditions.columns) - {"conditionId", "conditionName"}, source)
    first = next(iter(protocols.values()))  # own data: every condition injects on day 0, only the cells differ
    boluses = injection_boluses(model, first.injection, model.parameters, start)
    boluses += [Bolus(t, species, pid, 0.0) for (species, t), pid in dose_ids.items()]
    extras = [Extra(CELLS, first.injection.cells, "cell")]
    extras += [Extra(pid, 0.0, model.species_by_name(species).unit) for (species, _), pid in dose_ids.items()]
    sbml = build_document(model, model.parameters, boluses, start, extras, lineage_time(model, first.injection, start),
                          f"{model.name} ({model.hash}): own data {source.name}")
    observables = _observable_table(problem, source)
    return PetabProblem(sbml, conditions, observables, _measurement_table(problem, observables, start, source),
                        _parameter_table(problem), start)


def _problem_yaml() -> dict:
    return {"format_version": 1, "parameter_file": "parameters.tsv",
            "problems": [{"sbml_files": ["model.xml"], "condition_files": ["conditions.tsv"],
                          "measurement_files": ["measurements.tsv"], "observable_files": ["observables.tsv"]}]}


def _check_ids(problem: OwnDataProblem, source: Path) -> None:
    """PEtab ids: letters, digits and _, not starting with a digit; a noise parameter must not
    share its id with a species or rule of the model."""
    for table, column in (("conditions", "conditionId"), ("observables", "observableId"),
                          ("parameters", "parameterId")):
        for i, value in enumerate(getattr(problem, table)[column]):
            if not _ID.match(str(value)):
                raise DataError(f"{source}/{table}.tsv row {i + 2}, column {column}: {value!r} is not a PEtab id; "
                                "use letters, digits and _, not starting with a digit")
    for table, column in (("conditions", "conditionId"), ("observables", "observableId")):
        ids = getattr(problem, table)[column]
        if ids.duplicated().any():
            i = int(ids.duplicated().to_numpy().argmax())
            raise DataError(f"{source}/{table}.tsv row {i + 2}, column {column}: {ids.iloc[i]!r} appears twice; "
                            "give each row its own id")
    model = problem.model
    taken = {*model.species_names, *(r.name for r in model.rules), CELLS, VISIBLE}
    for i, value in enumerate(problem.parameters["parameterId"]):
        if value in taken:
            raise DataError(f"{source}/parameters.tsv row {i + 2}, column parameterId: {value!r} is also a species or "
                            "rule of the model; rename the noise parameter (and its uses in observables.tsv)")


def _protocol(problem: OwnDataProblem, condition: str) -> Protocol:
    """The condition's protocol, followed to its last measurement or dose."""
    row = problem.conditions.set_index("conditionId").loc[condition]
    treatments = tuple(Treatment.parse(t.strip()) for t in str(row["treatments"] or "").split(";") if t.strip())
    last = problem.measurements.loc[problem.measurements["conditionId"] == condition, "time"].max()
    days = max([float(last), *(d for t in treatments for d in t.days)]) + 1.0
    return Protocol(str(row["genotype"]), treatments, Injection(cells=float(row["cells"])), days)


def _dose_parameters(model: Model, resolved: dict, start: float):
    """One parameter per (species, SBML time) that any condition doses, and each condition's amounts."""
    agents = {a.name for a in model.agents}
    amounts: dict[str, dict[str, float]] = {}
    ids: dict[tuple[str, float], str] = {}
    for condition, (_, doses) in resolved.items():
        amounts[condition] = defaultdict(float)
        for d in doses:
            if d.label in agents:
                pid = ids.setdefault((d.species, d.day - start), f"dose_{d.species}_d{_day_token(d.day)}")
                amounts[condition][pid] += d.amount
    ids = dict(sorted(ids.items(), key=lambda kv: (kv[0][1], kv[0][0])))
    return ids, {c: {pid: a.get(pid, 0.0) for pid in ids.values()} for c, a in amounts.items()}


def _day_token(day: float) -> str:
    text = f"{day:g}".replace("-", "m").replace(".", "_")
    return text


def _condition_table(problem: OwnDataProblem, protocols: dict, amounts: dict) -> pd.DataFrame:
    model = problem.model
    edited = sorted({name for p in protocols.values() for name in model.genotype(p.genotype).edits})
    rows = []
    for condition, protocol in protocols.items():
        edits = model.genotype(protocol.genotype).edits
        row = {"conditionId": condition, "conditionName": _describe(protocol)}
        row |= {name: float(edits.get(name, model.parameters.value(name))) for name in edited}
        row[CELLS] = protocol.injection.cells
        rows.append(row | amounts[condition])
    return pd.DataFrame(rows)


def _describe(protocol: Protocol) -> str:
    treated = "; ".join(f"{t.agent} {t.amount:g} ug {t.route} d{','.join(f'{d:g}' for d in t.days)}"
                        for t in protocol.treatments)
    return f"{protocol.genotype}, {protocol.injection.cells:g} cells" + (f", {treated}" if treated else "")


def _check_parameters(problem: OwnDataProblem, condition_columns: set[str], source: Path) -> None:
    for i, pid in enumerate(problem.parameters["parameterId"]):
        if pid in condition_columns:
            raise DataError(f"{source}/parameters.tsv row {i + 2}, column parameterId: {pid} is set per condition "
                            "(by the genotype) in the PEtab export, so it cannot be estimated; remove the row")


def _observable_table(problem: OwnDataProblem, source: Path) -> pd.DataFrame:
    rows = []
    for i, obs in problem.observables.iterrows():
        oid, readout, dist = obs["observableId"], obs["readout"], obs["noiseDistribution"]
        formula = _readout_formula(problem.model, readout, source, i)
        noise = f"noiseParameter1_{OBSERVABLE_PREFIX}{oid}"
        if dist in ("normal", "lognormal"):
            sigma = noise
        elif dist == "poisson":
            sigma = f"sqrt({formula} + {COUNT_FLOOR!r})"
        else:  # negative_binomial, dispersion k: variance m + m^2/k
            sigma = f"sqrt({formula} + ({formula})^2 / {noise} + {COUNT_FLOOR!r})"
        label = next(r.label for r in READOUTS if r.name == readout)
        rows.append({"observableId": OBSERVABLE_PREFIX + oid, "observableName": f"{label} ({dist})", "observableFormula": formula,
                     "observableTransformation": "log" if dist == "lognormal" else "lin",
                     "noiseFormula": sigma, "noiseDistribution": "normal"})
    return pd.DataFrame(rows)


def _readout_formula(model: Model, readout: str, source: Path, row: int) -> str:
    formula = READOUT_FORMULAS[readout]
    names = {*model.species_names, *(r.name for r in model.rules)}
    if model.colonisation is not None:
        names.add(VISIBLE)
    missing = [n for n in re.findall(r"[A-Za-z_]\w*", formula) if n not in names]
    if missing:
        raise DataError(f"{source}/observables.tsv row {row + 2}, column readout: {readout} needs {missing[0]!r}, "
                        f"which model {model.name!r} lacks; remove the observable or use a model that has it")
    return formula


def _measurement_table(problem: OwnDataProblem, observables: pd.DataFrame, start: float, source: Path) -> pd.DataFrame:
    obs = problem.observables.set_index("observableId")
    meas = problem.measurements
    log = {o.removeprefix(OBSERVABLE_PREFIX) for o in
           observables.loc[observables["observableTransformation"] == "log", "observableId"]}
    bad = meas[meas["observableId"].isin(log) & ~(meas["measurement"] > 0)]
    if len(bad):
        i = bad.index[0]
        raise DataError(f"{source}/measurements.tsv row {i + 2}, column measurement: {meas.loc[i, 'measurement']:g} "
                        f"for the lognormal observable {meas.loc[i, 'observableId']}; a log-normal measurement must "
                        "be > 0 (use a normal noise model for this observable, or drop the row)")
    dist = meas["observableId"].map(obs["noiseDistribution"])
    noise = meas["observableId"].map(obs["noiseParameter"]).where(dist != "poisson", "")
    return pd.DataFrame({"observableId": OBSERVABLE_PREFIX + meas["observableId"], "simulationConditionId": meas["conditionId"],
                         "time": meas["time"] - start, "measurement": meas["measurement"],
                         "noiseParameters": noise.replace("", np.nan)})


def _parameter_table(problem: OwnDataProblem) -> pd.DataFrame:
    p = problem.parameters
    names = {name: param.description for name, param in problem.model.parameters.items()}
    return pd.DataFrame({"parameterId": p["parameterId"],
                         "parameterName": [names.get(n, "noise parameter") for n in p["parameterId"]],
                         "parameterScale": p["parameterScale"], "lowerBound": p["lowerBound"],
                         "upperBound": p["upperBound"], "nominalValue": p["nominalValue"], "estimate": p["estimate"]})
