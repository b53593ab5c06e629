"""Studies run over a plausible population: how robust each finding is, and prediction bands.

``robustness``: for each of several plausible sets, the built-in study at its published size (8
mice per arm; a new seed per set) checked by the findings checklist *with* its tests, and F8 on a
virtual patient cohort built from the set (``models.patient_model_from``). The pass share per
finding is the chance that a published-size experiment in a plausible world reproduces it. The
same is done for the default set over the same seeds, for comparison.

``prediction_bands``: any study plan run once per plausible set; per arm, readout and day, the
median over sets of the arm's summary (nodules: median; others: mean; median survival) and its
5-95% band across sets. The band is the spread the findings leave, not animal-to-animal spread.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from ..analysis.findings import FINDINGS, check_findings
from ..jobs import MapJob, run_job
from ..models import mouse_model, patient_model_from
from ..studies import StudyPlan, load_builtin, load_builtin_trial, plan_study, plan_trial, run_study, run_trial
from .population import PlausiblePopulation

DEFAULT_SET = "default"
BAND_READOUTS = ("visible_nodules", "liver_weight", "tumour_volume", "perforin_of_cd8", "mhc2hi_of_dc",
                 "pdl1_mfi", "serum_il6", "median_survival")


def _set_seeds(seed: int, n: int) -> list[int]:
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n)]


def check_set(values: dict[str, float], seed: int, *, engine: str = "auto", patients: int = 200) -> dict[str, str]:
    """Verdict per finding (F1-F9) for one parameter set: the built-in study at published size
    with ``seed``; F8 on ``patients`` virtual patients (0: F8 not run)."""
    plan = plan_study(load_builtin()).with_engine(engine)
    plan = replace(plan, model=plan.model.with_parameters(values), seed=seed)
    cohort = None
    if patients:
        trial = plan_trial(load_builtin_trial("dfs_by_il6").model_copy(update={"patients_per_arm": patients}),
                           engine=engine)
        trial = replace(trial, model=patient_model_from(mouse_model().with_parameters(values)), seed=seed)
        cohort = run_trial(trial).patients
    return {f.id: f.status for f in check_findings(run_study(plan), plan, patients=cohort)}


def robustness(population: PlausiblePopulation, sets: int = 30, *, seed: int = 0, engine: str = "auto",
               patients: int = 200, progress: bool = False) -> pd.DataFrame:
    """One row per (set, finding): ``set`` is a plausible set's index or "default" (the model's
    own values over the same seeds), ``status`` the checklist's verdict (a run-core job, a task per set)."""
    chosen = population.sets(sets, seed)
    seeds = _set_seeds(seed, len(chosen))
    items = [(str(i), values, s) for i, (values, s) in enumerate(zip(chosen, seeds))]
    items += [(DEFAULT_SET, {}, s) for s in seeds]
    job = MapJob("robustness", partial(_check_item, engine, patients), tuple(items), "set")
    return run_job(job, progress=progress)


def _check_item(engine: str, patients: int, item) -> pd.DataFrame:
    name, values, s = item
    verdicts = check_set(values, s, engine=engine, patients=patients)
    return pd.DataFrame([{"set": name, "seed": s, "finding": f, "status": v} for f, v in verdicts.items()])


def robustness_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per finding: % of plausible sets, and % of default-set replicates, whose study passes it."""
    ran = table[table["status"] != "NOT RUN"].assign(passed=lambda t: t["status"] == "PASS",
                                                     who=lambda t: np.where(t["set"] == DEFAULT_SET, "default",
                                                                            "plausible"))
    share = ran.pivot_table(index="finding", columns="who", values="passed", aggfunc="mean") * 100
    counts = ran.pivot_table(index="finding", columns="who", values="passed", aggfunc="size")
    out = pd.DataFrame({"finding": [f.id for f in FINDINGS if f.id in share.index]})
    for who, label in (("plausible", "plausible sets"), ("default", "default set")):
        if who in share:
            out[f"{label} %"] = out["finding"].map(share[who])
            out[f"{label} n"] = out["finding"].map(counts[who]).astype("Int64")
    out["statement"] = out["finding"].map({f.id: f.statement for f in FINDINGS})
    return out


def prediction_bands(plan: StudyPlan, population: PlausiblePopulation, sets: int = 20, *, seed: int = 0,
                     workers: int = 1, progress: bool = False) -> pd.DataFrame:
    """Long table: set ("default" or index), arm, day, readout, value (the arm's summary); a
    run-core job, a task per set."""
    chosen = [(DEFAULT_SET, {})] + [(str(i), v) for i, v in enumerate(population.sets(sets, seed))]
    job = MapJob("sets", partial(_bands_item, plan, workers), tuple(chosen), "set")
    return run_job(job, progress=progress)


def _bands_item(plan: StudyPlan, workers: int, item) -> pd.DataFrame:
    name, values = item
    summary = run_study(replace(plan, model=plan.model.with_parameters(values)), workers=workers).summary()
    keep = [c for c in BAND_READOUTS if c in summary]
    long = summary.melt(id_vars=["arm", "day"], value_vars=keep, var_name="readout").assign(set=name)
    return long.dropna(subset=["value"]).astype({"value": float, "day": float})


def bands(table: pd.DataFrame) -> pd.DataFrame:
    """Per arm, day and readout: the default set's value and the plausible sets' median, 5% and 95%."""
    table = table.assign(day=table["day"].fillna(-1.0))  # survival arms have no readout day
    plausible = table[table["set"] != DEFAULT_SET]
    default = table[table["set"] == DEFAULT_SET].set_index(["arm", "day", "readout"])["value"]
    grouped = plausible.groupby(["arm", "day", "readout"], sort=False)["value"]
    out = pd.DataFrame({"median": grouped.median(), "p5": grouped.quantile(0.05), "p95": grouped.quantile(0.95),
                        "sets": grouped.size()})
    out.insert(0, "default", default.reindex(out.index))
    out = out.reset_index()
    return out.assign(day=out["day"].where(out["day"] >= 0))
