"""Own-data fits: do the 95% profile-likelihood intervals cover the true values as often as they
claim, how close are the estimates, and how long does a fit take?

Synthetic data sets are drawn from the model at known values with the design of the shipped
example (scripts/make_synthetic_data.py: 3 conditions, 6 mice per condition and day, nodules,
perforin+ and PD-L1), each fitted from the defaults.

    python benchmarks/fit_coverage.py --sets 20 [--starts 1]
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from immunomet.calibration.fitter import Fitter, synthetic_measurements

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_synthetic_data as gen  # noqa: E402  (the shipped example's generator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=20)
    parser.add_argument("--starts", type=int, default=1)
    args = parser.parse_args()
    base = gen.tables()
    design = base.measurements[["observableId", "conditionId", "time"]].drop_duplicates().reset_index(drop=True)
    rows, seconds = [], []
    for seed in range(args.sets):
        data = synthetic_measurements(base, gen.TRUE, design, gen.REPLICATES, 1000 + seed)
        start = time.perf_counter()
        fit = Fitter(replace(base, measurements=data)).fit(starts=args.starts)
        seconds.append(time.perf_counter() - start)
        summary = fit.summary.set_index("parameter")
        for name, true in gen.TRUE.items():
            rows.append({"set": seed, "parameter": name, "true": true, "estimate": summary.loc[name, "estimate"],
                         "covered": summary.loc[name, "ci_low"] <= true <= summary.loc[name, "ci_high"],
                         "ci_width_%": 100 * (summary.loc[name, "ci_high"] - summary.loc[name, "ci_low"]) / true,
                         "status": fit.status})
    table = pd.DataFrame(rows)
    out = table.groupby("parameter", sort=False).agg(
        true=("true", "first"), median_estimate=("estimate", "median"),
        bias_pct=("estimate", lambda e: 100 * (np.median(e) / table.loc[e.index, "true"].iloc[0] - 1)),
        coverage_pct=("covered", lambda c: 100 * c.mean()), ci_width_pct=("ci_width_%", "median"))
    print(f"{args.sets} synthetic data sets, {args.starts} start(s) each; converged: "
          f"{(table.drop_duplicates('set')['status'] == 'converged').mean():.0%}")
    print(out.round(3).to_string())
    print(f"seconds per fit (with profiles): median {np.median(seconds):.1f}, max {np.max(seconds):.1f}")


if __name__ == "__main__":
    main()
