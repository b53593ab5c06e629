"""``immunomet patients`` (DFS by tumour IL-6) / ``trial SPEC.yaml`` (a virtual adjuvant trial) /
``optimize`` (dosing schedules within a budget, in mice or patients)."""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..analysis.dfs import dfs_by_il6, dfs_by_serum_il6, published_cohorts
from ..analysis.trials import arm_comparisons
from ..jobs import default_workers
from ..studies import load_builtin_trial, load_trial_file, parse_trial, plan_trial, run_trial
from ..studies.builtin import builtin_trials
from ._args import fraction, nonnegative_int, output_folder, positive_int


def register(sub) -> None:
    p = sub.add_parser("patients", help="DFS of virtual patients by tumour IL-6, beside published cohorts (F8)",
                       description="Simulate untreated colorectal cancer patients after resection (built-in trial "
                                   "dfs_by_il6), compare DFS of IL-6-high and -low patients (KM, log-rank, Cox) and "
                                   "set the result beside the published cohorts.")
    p.add_argument("--patients", type=positive_int, default=None, help="virtual patients (default 500)")
    p.add_argument("--seed", type=nonnegative_int, default=None)
    p.add_argument("--high-fraction", type=fraction, default=None,
                   help="share of patients called IL-6 high, i.e. the cut-off (default 0.34, Feng 2023)")
    p.add_argument("--out", type=Path, default=None, help="folder for tables and figures (default runs/patients-TIME)")
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--allow-large", action="store_true", help="run more than 10^7 patients")
    p.set_defaults(handler=patients)

    p = sub.add_parser("trial", help="run a virtual adjuvant trial described in a YAML file",
                       description="Run a virtual trial (arms of adjuvant treatment vs the first arm) on the patient "
                                   f"model; built-in trials: {', '.join(builtin_trials())}. Prints each arm vs control "
                                   "overall and by IL-6 stratum, and patients per arm for the target power; writes "
                                   "tables, figures and trial.html.")
    p.add_argument("trial_file", metavar="SPEC.yaml", help="a trial YAML file, or a built-in trial's name")
    p.add_argument("--patients", type=positive_int, default=None, help="patients per arm (overrides the spec)")
    p.add_argument("--seed", type=nonnegative_int, default=None)
    p.add_argument("--reps", type=positive_int, default=100, help="drawn trials per size in the power search")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/TRIAL-TIME)")
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--allow-large", action="store_true", help="run more than 10^7 patients")
    p.set_defaults(handler=trial)

    p = sub.add_parser("optimize", help="choose doses and days of anti-IL-6R and anti-PD-L1 within a budget",
                       description="Search dosing schedules (dose, first day, interval, number of doses per agent) "
                                   "within bounds and a total-dose budget per agent, to maximise DFS of virtual "
                                   "patients or survival of mice (or minimise nodules), as the cohort mean or CVaR; "
                                   "then compare the best with standard schedules on new virtual individuals. "
                                   "Bounds and budgets: docs/trials.md.")
    p.add_argument("--goal", choices=["dfs", "dfs_years", "survival", "nodules"], default="dfs",
                   help="patients: dfs (P disease-free at 5 y, default) or dfs_years; mice: survival or nodules")
    p.add_argument("--robust", default="mean", help="mean (default); cvar:Q, the mean over the worst share Q of individuals; or quantile:Q, "
                        "the lower Q quantile of their outcomes")
    p.add_argument("--agents", default="anti-il6r,anti-pdl1", help="comma-separated (default both)")
    p.add_argument("--individuals", type=positive_int, default=100, help="training patients or mice (default 100)")
    p.add_argument("--evaluations", type=positive_int, default=60, help="candidate schedules (default 60)")
    p.add_argument("--validation", type=positive_int, default=300, help="new individuals for the comparison")
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/optimize-TIME)")
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=optimize)


def _overrides(spec, args, count_field: str):
    """The spec with the command line's --patients, --seed and --high-fraction, validated again."""
    data = spec.model_dump(mode="json")
    if args.patients is not None:
        data[count_field] = args.patients
    if args.seed is not None:
        data["seed"] = args.seed
    if getattr(args, "high_fraction", None) is not None:
        data["population"]["il6_high_fraction"] = args.high_fraction
    return parse_trial(data, "command line")


def patients(args: argparse.Namespace) -> int:
    from ..report.patient_figures import dfs_by_il6_figure, il6_covariate_figure

    spec = _overrides(load_builtin_trial("dfs_by_il6"), args, "patients_per_arm")
    plan = plan_trial(spec, engine=args.engine)
    result = run_trial(plan, workers=default_workers(), progress=not args.quiet, allow_large=args.allow_large)
    out = output_folder(args.out, "patients")
    result.save(out)
    dfs = dfs_by_il6(result.patients)
    hr = dfs["hr"]
    published = published_cohorts(result.patients, plan)
    dfs["dfs"].to_csv(out / "dfs_by_il6.csv", index=False)
    published.to_csv(out / "published_cohorts.csv", index=False)
    serum = dfs_by_serum_il6(result.patients, plan.population.high_fraction)
    dfs_by_il6_figure(result.patients, hr, serum).savefig(out / "dfs_by_il6.png", dpi=110)
    il6_covariate_figure(result.patients, plan.population.il6_cutoff(plan.model)).savefig(out / "tumour_il6.png", dpi=110)
    with pd.option_context("display.width", 200, "display.max_colwidth", 36):
        print(dfs["dfs"].to_string(index=False, float_format=lambda v: f"{v:.1f}"))
        print(f"\nIL-6 high vs low: HR {hr['hr']:.2f} (95% CI {hr['hr_low']:.2f}-{hr['hr_high']:.2f}), "
              f"log-rank p = {hr['logrank_p']:.2g}, {hr['relapses']} relapses in {hr['n']} patients")
        s = serum["hr"]
        print(f"by a postoperative serum IL-6 sample instead: HR {s['hr']:.2f} (95% CI {s['hr_low']:.2f}-"
              f"{s['hr_high']:.2f}), log-rank p = {s['logrank_p']:.2g}\n")
        print(published.drop(columns=["hr", "hr_low", "hr_high", "measure"]).to_string(index=False))
    print(f"\nfolder: {out}")
    return 0


def trial(args: argparse.Namespace) -> int:
    from ..report.patients_html import build_trial_report

    spec = _overrides(load_trial_file(args.trial_file), args, "patients_per_arm")
    plan = plan_trial(spec, engine=args.engine)
    result = run_trial(plan, workers=default_workers(), progress=not args.quiet, allow_large=args.allow_large)
    out = output_folder(args.out, spec.name)
    result.save(out)
    comparisons = arm_comparisons(result.patients, result.arms, power=spec.power, reps=args.reps, seed=spec.seed)
    comparisons.to_csv(out / "comparisons.csv", index=False)
    report = build_trial_report(result, plan, comparisons, out / "trial.html")
    print(result)
    shown = comparisons.assign(hr_ci=[f"{h:.2f} ({lo:.2f}-{hi:.2f})" for h, lo, hi in
                                      comparisons[["hr", "hr_low", "hr_high"]].to_numpy()])
    cols = ["arm", "subgroup", "n_arm", "dfs3y_arm_%", "dfs3y_control_%", "hr_ci", "logrank_p", "patients_per_arm",
            "schoenfeld_per_arm"]
    with pd.option_context("display.width", 220):
        print("\n" + shown[cols].rename(columns={"patients_per_arm": f"n/arm for {spec.power:.0%}",
                                                 "schoenfeld_per_arm": "Schoenfeld n/arm"})
              .to_string(index=False, float_format=lambda v: f"{v:.3g}", na_rep="> 3000"))
    print(f"\nfolder: {out}\nreport: {report}")
    return 0


def optimize(args: argparse.Namespace) -> int:
    from ..optimize import default_problem, optimise
    from ..report.schedule_figures import schedule_figure

    agents = tuple(a.strip().lower() for a in args.agents.split(",") if a.strip())
    problem = default_problem(args.goal, individuals=args.individuals, seed=args.seed, robust=args.robust,
                              agents=agents, engine=args.engine)
    result = optimise(problem, evaluations=args.evaluations, validation=args.validation, progress=not args.quiet)
    out = output_folder(args.out, "optimize")
    result.comparison.to_csv(out / "schedules.csv", index=False)
    result.trace.to_csv(out / "trace.csv", index=False)
    schedule_figure(result).savefig(out / "schedules.png", dpi=100)
    with pd.option_context("display.width", 250, "display.max_colwidth", 110):
        print(result)
    print(f"\nfolder: {out}")
    return 0
