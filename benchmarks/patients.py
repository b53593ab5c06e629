"""Virtual patients: does F8 replicate, how does the model's HR (split by a postoperative serum IL-6
sample, as Feng 2023 measured) compare with Feng's, and how long do the patient commands take?
One command, one table per question.

    python benchmarks/patients.py --seeds 20 [--timing] [--population 5000]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from immunomet.analysis.dfs import dfs_by_il6, serum_strata
from immunomet.analysis.findings import FINDINGS, check_findings
from immunomet.studies import load_builtin_trial, plan_trial, run_trial

F8 = [f for f in FINDINGS if f.id == "F8"]


def replication(seeds: int, patients: int) -> dict:
    """F8 (tumour IL-6 strata) and Feng's measure (a postoperative serum IL-6 sample, top 34%) over seeds."""
    rows = []
    for seed in range(1, seeds + 1):
        spec = load_builtin_trial("dfs_by_il6").model_copy(update={"seed": seed, "patients_per_arm": patients})
        result = run_trial(plan_trial(spec))
        dfs = dfs_by_il6(result.patients)
        serum = dfs_by_il6(serum_strata(result.patients, spec.population.il6_high_fraction))["hr"]
        [f8] = check_findings(None, None, patients=result.patients, findings=F8)
        low, high = dfs["dfs"].set_index("group").loc[["IL-6 low", "IL-6 high"], "dfs_5y_%"]
        rows.append({"hr": dfs["hr"]["hr"], "pass": f8.status == "PASS", "dfs5_low": low, "dfs5_high": high,
                     "serum_hr": serum["hr"], "overlaps_feng": serum["hr_low"] <= 3.15 and serum["hr_high"] >= 1.03,
                     "serum_significant": serum["logrank_p"] < 0.05})
    t = pd.DataFrame(rows)
    return {"patients": patients, "seeds": seeds, "F8 PASS": f"{t['pass'].mean():.0%}",
            "tumour IL-6 HR median [min-max]": f"{t['hr'].median():.2f} [{t['hr'].min():.2f}-{t['hr'].max():.2f}]",
            "5-y DFS low / high %": f"{t['dfs5_low'].median():.0f} / {t['dfs5_high'].median():.0f}",
            "serum IL-6 HR median [min-max]":
                f"{t['serum_hr'].median():.2f} [{t['serum_hr'].min():.2f}-{t['serum_hr'].max():.2f}]",
            "serum HR CI overlaps Feng 1.03-3.15": f"{t['overlaps_feng'].mean():.0%}",
            "serum log-rank p < 0.05": f"{t['serum_significant'].mean():.0%}"}


def timing() -> pd.DataFrame:
    from immunomet.analysis.trials import arm_comparisons
    from immunomet.optimize import default_problem, optimise

    rows = []
    start = time.perf_counter()
    run_trial(plan_trial(load_builtin_trial("dfs_by_il6")))
    rows.append({"task": "immunomet patients (500 patients, 5 y)", "s": time.perf_counter() - start})
    start = time.perf_counter()
    trial = run_trial(plan_trial(load_builtin_trial("adjuvant")))
    sim = time.perf_counter() - start
    arm_comparisons(trial.patients, trial.arms, reps=100)
    rows.append({"task": "trial adjuvant: simulate 6 x 400 patients", "s": sim})
    rows.append({"task": "trial adjuvant: comparisons + power search", "s": time.perf_counter() - start - sim})
    start = time.perf_counter()
    optimise(default_problem("dfs"), evaluations=60, validation=300)
    rows.append({"task": "optimize --goal dfs (60 x 100 + 7 x 300 patients)", "s": time.perf_counter() - start})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--timing", action="store_true")
    ap.add_argument("--population", type=int, default=0, metavar="N",
                    help="also the hazard-ratio check on one cohort of N patients (seed 2019), e.g. 5000")
    args = ap.parse_args(argv)
    if args.population:
        from immunomet.calibration.patients import hazard_ratio_check

        print(f"hazard-ratio check, {args.population} patients, seed 2019")
        print(hazard_ratio_check({}, patients=args.population, seed=2019).to_string(index=False))
    table = pd.DataFrame([replication(args.seeds, n) for n in (500, 122)])
    print("F8 and Feng's measure over seeds (built-in cohort dfs_by_il6 re-drawn; n=122 is Feng 2023's size)")
    print(table.T.to_string(header=False))
    if args.timing:
        print("\nwall time, this machine")
        print(timing().to_string(index=False, float_format=lambda v: f"{v:.1f}"))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
