"""How often does each finding replicate? The built-in study re-run with other seeds.

A single run at n = 8 per arm can pass or fail a finding by chance; this runs the default study
with seeds 1..N (fresh virtual animals, same model and design) and prints each finding's pass
rate, the replication rate a lab would see repeating the experiment.

    python benchmarks/findings_replication.py --seeds 20 [--animals 12]
"""
from __future__ import annotations

import argparse
import time

import pandas as pd

import immunomet as im
from immunomet.analysis.findings import check_findings


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--animals", type=int, default=None, help="animals per arm (default: the study's)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    base = im.plan_study(im.load_builtin("toyoshima2019")).with_engine("auto")
    if args.animals:
        base = base.with_animals(args.animals)
    rows, start = [], time.perf_counter()
    for seed in range(1, args.seeds + 1):
        plan = base.with_seed(seed)
        result = im.run_study(plan, workers=args.workers)
        for f in check_findings(result, plan):
            rows.append({"seed": seed, "finding": f.id, "criterion": "all", "passed": f.status == "PASS"})
            rows += [{"seed": seed, "finding": f.id, "criterion": f"{k + 1}: {c['readout']} {c['arm']} vs "
                      f"{c['reference']} ({c['direction']})", "passed": bool(c["passed"])}
                     for k, c in enumerate(f.criteria.to_dict("records"))]
    table = pd.DataFrame(rows)
    rate = table.groupby(["finding", "criterion"], sort=False)["passed"].mean()
    n = base.arms[0].animals
    print(f"{args.seeds} seeds, {n} animals per colonisation arm, {time.perf_counter() - start:.0f} s")
    with pd.option_context("display.max_colwidth", 90):
        print(rate.map(lambda r: f"{r:.0%}").to_string())


if __name__ == "__main__":
    main()
