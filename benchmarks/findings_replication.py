"""How often does each finding replicate? Re-seeded runs against the resampled estimate.

A single run at n = 8 per arm can pass or fail a finding by chance. This runs the default study
with seeds 1..N (fresh virtual animals, same model and design), checks each run, and counts
PASS, FAIL and NOT RUN apart (a finding that could not be checked is not a failure). It then
estimates the same pass rates by resampling (``analysis.replication``: every arm simulated once
at ``--pool`` animals, ``--reps`` replicate experiments drawn from it) and says whether the two
agree within their combined 95% error.

    python benchmarks/findings_replication.py --seeds 100 [--animals 12] [--pool 2000] [--patients]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import immunomet as im
from immunomet.analysis.findings import check_findings
from immunomet.analysis.replication import JOINT, JOINT_LABEL, replication_probability
from immunomet.analysis.rowstats import wilson
from immunomet.workflows.runs import _cohort_plan


def reseeded(base, seeds: int, workers: int, trial=None) -> pd.DataFrame:
    """One row per (seed, finding): its status in a run of ``base`` with that seed."""
    rows = []
    for seed in range(1, seeds + 1):
        plan = base.with_seed(seed)
        patients = None
        if trial is not None:
            from dataclasses import replace

            patients = im.run_trial(replace(trial, seed=seed), workers=workers).patients
        verdicts = {f.id: f.status for f in check_findings(im.run_study(plan, workers=workers), plan,
                                                            patients=patients)}
        rows += [{"seed": seed, "finding": fid, "status": status} for fid, status in verdicts.items()]
        joint = [verdicts[fid] for fid in JOINT]
        rows.append({"seed": seed, "finding": JOINT_LABEL, "status": "NOT RUN" if "NOT RUN" in joint else
                     "PASS" if all(s == "PASS" for s in joint) else "FAIL"})
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per finding: PASS, FAIL and NOT RUN counts, and the pass rate among runs that checked it
    (95% Wilson interval); NaN when no run could check it."""
    out = []
    for fid, rows in table.groupby("finding", sort=False):
        counts = rows["status"].value_counts()
        passed, failed, not_run = (int(counts.get(s, 0)) for s in ("PASS", "FAIL", "NOT RUN"))
        low, high = wilson(passed / max(passed + failed, 1), passed + failed)
        out.append({"finding": fid, "PASS": passed, "FAIL": failed, "NOT RUN": not_run,
                    "rate": passed / (passed + failed) if passed + failed else np.nan, "low": low, "high": high})
    return pd.DataFrame(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--animals", type=int, default=None, help="animals per arm (default: the study's)")
    ap.add_argument("--pool", type=int, default=2000, help="simulated animals per arm for the resampled estimate")
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--patients", action="store_true", help="also run F8's patient cohort per seed")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    base = im.plan_study(im.load_builtin("toyoshima2019")).with_engine("auto")
    if args.animals:
        base = base.with_animals(args.animals)
    trial = _cohort_plan(base.engine) if args.patients else None
    start = time.perf_counter()
    runs = summarise(reseeded(base, args.seeds, args.workers, trial))
    seeded_s = time.perf_counter() - start
    start = time.perf_counter()
    rep = replication_probability(base, pool=args.pool, reps=args.reps, trial=trial,
                                  patients_pool=4 * trial.patients_per_arm if trial else 0, workers=args.workers,
                                  grid=())
    resampled_s = time.perf_counter() - start
    table = runs.merge(rep.at().rename(columns={"probability": "resampled", "low": "r_low", "high": "r_high"})
                       [["finding", "resampled", "r_low", "r_high"]], on="finding", how="left")
    se = np.sqrt(table["rate"] * (1 - table["rate"]) / (table["PASS"] + table["FAIL"])
                 + table["resampled"] * (1 - table["resampled"]) / args.reps)
    table["agree"] = np.where(table["rate"].isna(), "-", np.where(
        (table["rate"] - table["resampled"]).abs() <= np.maximum(1.96 * se, 1.0 / args.seeds), "yes", "NO"))
    n = base.arms[0].animals
    print(f"{args.seeds} re-seeded runs ({seeded_s:.0f} s) vs {args.reps} replicates drawn from {args.pool} animals "
          f"per arm ({resampled_s:.0f} s); {n} animals per colonisation arm")
    with pd.option_context("display.width", 160):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
