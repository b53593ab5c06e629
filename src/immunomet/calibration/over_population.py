"""Studies run over posterior draws of a calibration: prediction bands.

``prediction_bands``: any study plan run once per posterior draw (``PosteriorSample.sets``); per
arm, readout and day, the median over draws of the arm's summary (nodules: median; others: mean;
median survival) and its 5-95% band across draws. The band is the uncertainty the calibration
leaves in the parameters, not animal-to-animal spread. (How often each finding replicates over the
posterior is ``analysis.replication``.)
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial

import pandas as pd

from ..jobs import MapJob, run_job
from ..studies import StudyPlan, run_study

DEFAULT_SET = "default"
BAND_READOUTS = ("visible_nodules", "liver_weight", "tumour_volume", "perforin_of_cd8", "mhc2hi_of_dc",
                 "pdl1_mfi", "serum_il6", "median_survival")


def prediction_bands(plan: StudyPlan, population, sets: int = 20, *, seed: int = 0,
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
    """Per arm, day and readout: the default set's value and the posterior draws' median, 5% and 95%."""
    table = table.assign(day=table["day"].fillna(-1.0))  # survival arms have no readout day
    plausible = table[table["set"] != DEFAULT_SET]
    default = table[table["set"] == DEFAULT_SET].set_index(["arm", "day", "readout"])["value"]
    grouped = plausible.groupby(["arm", "day", "readout"], sort=False)["value"]
    out = pd.DataFrame({"median": grouped.median(), "p5": grouped.quantile(0.05), "p95": grouped.quantile(0.95),
                        "sets": grouped.size()})
    out.insert(0, "default", default.reindex(out.index))
    out = out.reset_index()
    return out.assign(day=out["day"].where(out["day"] >= 0))
