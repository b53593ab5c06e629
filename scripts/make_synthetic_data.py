"""Write the synthetic own-data example (examples/own_data/synthetic/) from known parameter values.

    python scripts/make_synthetic_data.py [--out examples/own_data/synthetic]

Three conditions (WT, Il6-/-, Il6-/- with anti-PD-L1 on days 8 and 11), 6 mice per condition and
day: visible nodules on day 21 (negative binomial, k = 10), perforin+ of CD8+ on days 14 and 21
(normal, SD estimated), PD-L1 MFI on days 14 and 21 (log-normal, SD 0.15). The data are drawn
around the typical animal of the default mouse model with TRUE values for kill_max,
emax_ifn_pdl1 and the perforin noise SD; the fit starts from the model's defaults
(parameters.tsv nominalValue). tests/reference/test_own_data_recovery.py regenerates the tables,
checks they equal the shipped ones, and checks that the fit recovers TRUE.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from immunomet.calibration.fitter import synthetic_measurements
from immunomet.calibration.own_data import OwnDataProblem
from immunomet.models import mouse_model

TRUE = {"kill_max": 2.5, "emax_ifn_pdl1": 3.5, "sigma_perforin": 6.0}
SEED, REPLICATES = 20261124, 6


def tables() -> OwnDataProblem:
    model = mouse_model()
    conditions = pd.DataFrame({"conditionId": ["wt", "ko", "ko_pdl1"], "genotype": ["wt", "il6-ko", "il6-ko"],
                               "treatments": ["", "", "anti-pdl1:200ug@d8,d11"], "cells": [1e5] * 3})
    observables = pd.DataFrame({"observableId": ["nodules", "perforin", "pdl1"],
                                "readout": ["visible_nodules", "perforin_of_cd8", "pdl1_mfi"],
                                "noiseDistribution": ["negative_binomial", "normal", "lognormal"],
                                "noiseParameter": ["10", "sigma_perforin", "0.15"]})
    rows = []
    for name in ("kill_max", "emax_ifn_pdl1"):
        p = model.parameters[name]
        rows.append([name, "log10", p.prior[0], p.prior[1], p.value, 1])
    rows.append(["sigma_perforin", "log10", 0.5, 50.0, 10.0, 1])
    parameters = pd.DataFrame(rows, columns=["parameterId", "parameterScale", "lowerBound", "upperBound",
                                             "nominalValue", "estimate"])
    design = pd.DataFrame([(o, c, d) for c in conditions["conditionId"] for o, days in
                           (("nodules", (21.0,)), ("perforin", (14.0, 21.0)), ("pdl1", (14.0, 21.0))) for d in days],
                          columns=["observableId", "conditionId", "time"])
    problem = OwnDataProblem(conditions, observables, design.assign(measurement=0.0), parameters, model)
    measurements = synthetic_measurements(problem, TRUE, design, REPLICATES, SEED)
    return OwnDataProblem(conditions, observables, measurements, parameters, model, "synthetic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("examples/own_data/synthetic"))
    out = tables().save(parser.parse_args().out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
