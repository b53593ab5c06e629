"""How much does the between-mouse spread decide which findings replicate?

The virtual mice of a study differ by ``variability.spread`` (each varied parameter log-normal
around its value with SD ``spread x ln(prior high / low) / 4``; the built-in study used 0.1, an
assumption, before the fitted default of models/data/mouse_variability.yaml) or by
per-parameter log-SDs (``variability.log_sd``; here the sourced mixed-effects
values: between-mouse SD of T-cell influx 0.32-0.40, Voronova et al. 2021, and of growth rate
0.10-0.18, Lewis lung data of Benzekry et al. 2014). For each variant this prints (1) the dispersion of control-group readouts that
published experiments report (visible nodules and survival after intrasplenic CT26, s.c. CT26
volume), to set beside published dispersion (docs/calibration.md), and (2) the replication probability of each finding
at the study's design and at 20 per arm (``analysis.replication``). It changes no default.

    python scripts/probe_animal_spread.py --spreads 0 0.02 0.03 0.05 0.1 [--animals 400] [--pool 1000]
"""
from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
import pandas as pd

import immunomet as im
from immunomet.analysis.replication import replication_probability
from immunomet.cohorts.variability import Variability
from immunomet.studies import parse_study, plan_study, run_study


MIXED_EFFECTS = ({"r_tumour": 0.10, "f_home_liver": 0.32}, {"r_tumour": 0.18, "f_home_liver": 0.40})


def control_group(route: str, cells: float, variability: dict, animals: int, follow_up: float):
    """Untreated WT mice, read on days 14 and 21."""
    spec = parse_study({"name": "dispersion", "seed": 7, "animals_per_arm": animals, "follow_up": follow_up,
                        "readout_days": [14.0, 21.0], "injection": {"route": route, "cells": cells},
                        "variability": variability,
                        "humane_endpoint": {"above": 1500.0} if route != "intrasplenic" else {},
                        "arms": [{"name": "wt", "genotype": "wt"}]})
    return run_study(plan_study(spec))


def cv(values) -> float:
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    return float(values.std(ddof=1) / values.mean())


def label(variability: dict) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in variability["log_sd"].items()) or \
        f"spread {variability['spread']:g}"


def dispersion(variability: dict, animals: int) -> dict:
    liver = control_group("intrasplenic", 1e5, variability, animals, 60.0)
    nodules = liver.wide(21.0)["visible_nodules"].to_numpy(float)
    died = liver.animals[liver.animals["death"].astype(bool)]["survival_day"].to_numpy(float)
    local = control_group("subcutaneous", 5e5, variability, animals, 21.0).wide(21.0)["tumour_volume"].to_numpy(float)
    return {"variability": label(variability), "nodules d21 mean": nodules.mean(), "nodules CV": cv(nodules),
            "mice without nodules": float(np.mean(nodules == 0)), "survival CV (mice that died)": cv(died),
            "s.c. volume d21 CV": cv(local)}


def replication(variability: dict, pool: int) -> pd.DataFrame:
    base = im.plan_study(im.load_builtin("toyoshima2019")).with_engine("auto")
    own = Variability(variability["spread"], log_sd=tuple(variability["log_sd"].items()))
    rep = replication_probability(replace(base, variability=own), sizes=(20,), pool=pool, reps=400, workers=2,
                                  grid=())
    table = rep.table.pivot_table(index="finding", columns="n", values="probability", dropna=False)
    return pd.concat({("design", label(variability)): table["design"], ("n=20", label(variability)): table[20]},
                     axis=1)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spreads", type=float, nargs="+", default=[0.0, 0.02, 0.03, 0.05, 0.1])
    ap.add_argument("--animals", type=int, default=400, help="control mice per spread for the dispersion table")
    ap.add_argument("--pool", type=int, default=1000, help="simulated animals per arm for replication")
    args = ap.parse_args(argv)
    np.seterr(all="ignore")
    variants = [{"spread": s, "log_sd": {}} for s in args.spreads]
    variants += [{"spread": 0.0, "log_sd": sd} for sd in MIXED_EFFECTS]
    with pd.option_context("display.width", 250):
        print("dispersion of untreated WT mice")
        print(pd.DataFrame([dispersion(v, args.animals) for v in variants]).to_string(
            index=False, float_format=lambda v: f"{v:.2f}"))
        print("\nreplication probability (400 experiments drawn from the pool)")
        table = pd.concat([replication(v, args.pool) for v in variants], axis=1)
        print(table.T.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
