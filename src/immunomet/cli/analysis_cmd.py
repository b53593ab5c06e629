"""``immunomet validate [RUN]`` / ``power [STUDY.yaml|RUN]`` / ``report RUN``."""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..analysis.findings import findings_table
from ..analysis.power import power_analysis
from ..errors import SpecError
from ..jobs import default_workers
from ..studies import load_builtin, load_study_file, plan_study, run_study
from ._args import fraction, positive_int


def register(sub) -> None:
    p = sub.add_parser("validate", help="check findings F1-F9 of the study on a run (PASS/FAIL), or run the "
                                        "out-of-sample validation suite (--suite)",
                       description="Check BIOLOGY.md's findings on RUN (a run folder), or on a fresh in-memory run "
                                   "of the built-in study, with the probability that a replicate experiment "
                                   "reproduces each. --suite FOLDER instead runs the pre-registered out-of-sample "
                                   "experiments (validation/: published studies not used for calibration) and "
                                   "prints pass/fail with effect sizes. Exit 1 if any finding or experiment FAILs.")
    p.add_argument("run_folder", nargs="?", type=Path, metavar="RUN")
    p.add_argument("--suite", type=Path, default=None, metavar="FOLDER",
                   help="run the validation suite in FOLDER (e.g. validation) instead of the findings")
    p.add_argument("--seeds", type=positive_int, default=None, metavar="K",
                   help="with --suite: also rerun every experiment with seeds 1..K and report how often each "
                        "passes (the folders' result.md keep the single run)")
    p.add_argument("--population", type=Path, default=None, metavar="CALIBRATION",
                   help="also give each finding's replication over posterior draws of a calibration folder "
                        "('immunomet calibrate'); --sets of them, at the design and at each --n")
    p.add_argument("--sets", type=positive_int, default=20, help="posterior draws for --population (default 20)")
    p.add_argument("--csv", type=Path, default=None, help="also write the criteria table as CSV")
    p.add_argument("--no-replication", action="store_true",
                   help="only the single run's verdicts (skip the replication probability)")
    p.add_argument("--n", type=positive_int, nargs="+", default=[], metavar="N",
                   help="also give the replication probability with N animals in every arm (several allowed)")
    p.add_argument("--pool", type=positive_int, default=None,
                   help="animals simulated per arm to draw replicate experiments from (default 400 on the batched "
                        "engine; the scipy loop skips replication unless given)")
    p.add_argument("--reps", type=positive_int, default=400, help="replicate experiments drawn (default 400)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=validate)

    p = sub.add_parser("power", help="animals per arm needed for 80%% power, by simulation",
                       description="Simulate pools of animals per arm and draw experiments of n animals to find the "
                                   "n with 80%% power: for the findings' comparisons (built-in study or a run of it), "
                                   "or each arm vs the first arm of its part (a study YAML).")
    p.add_argument("target", nargs="?", default=None, metavar="STUDY.yaml|RUN",
                   help="a study file or run folder (default: the built-in toyoshima2019)")
    p.add_argument("--pool", type=positive_int, default=40, help="simulated animals per arm (default 40)")
    p.add_argument("--reps", type=positive_int, default=200, help="drawn experiments per n (default 200)")
    p.add_argument("--power", type=fraction, default=0.8, help="target power (default 0.8)")
    p.add_argument("--workers", type=positive_int, default=None)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=power)

    p = sub.add_parser("report", help="write RUN/report.html (findings, survival, nodules, flow, power ...)")
    p.add_argument("run_folder", type=Path, metavar="RUN")
    p.add_argument("--pool", type=positive_int, default=None,
                   help="animals per arm simulated for the power table (default 40 on the batched engine, 16 on scipy)")
    p.add_argument("--workers", type=positive_int, default=None)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=report)


def validate(args: argparse.Namespace) -> int:
    if args.suite is not None:
        return validate_suite(args)
    if args.seeds is not None:
        raise SpecError("--seeds: reruns the validation suite; give it with --suite FOLDER")
    from ..workflows import check_study_findings, load_run, patient_cohort
    from ..workflows.analysis import run_replication
    from ..workflows.runs import load_patient_cohort

    if args.run_folder is not None:
        result, plan, folder = load_run(args.run_folder)
        cohort, cohort_plan = load_patient_cohort(folder)
    else:
        plan = plan_study(load_builtin("toyoshima2019")).with_engine("auto")
        result = run_study(plan, workers=default_workers(), progress=not args.quiet)
        cohort, cohort_plan = patient_cohort(engine=plan.engine, workers=default_workers(), progress=not args.quiet)
    findings = check_study_findings(result, plan, cohort)
    replication = None
    if not args.no_replication:
        replication = run_replication(plan, cohort_plan, sizes=tuple(args.n), pool=args.pool, reps=args.reps,
                                      workers=default_workers(), progress=not args.quiet)
    print(format_findings(findings, replication))
    if not args.no_replication and replication is None:
        print("replication probability skipped on the scipy engine (about 10 mice/s); --pool N runs it")
    if args.population is not None:
        print(_over_population(plan, args))
    if args.csv is not None:
        findings_table(findings).to_csv(args.csv, index=False)
    return 1 if any(f.status == "FAIL" for f in findings) else 0


def validate_suite(args: argparse.Namespace) -> int:
    from ..analysis.validation_suite import run_suite
    from ..errors import DataError

    if not args.suite.is_dir():
        raise DataError(f"--suite {str(args.suite)!r}: no such folder; give the validation folder of a clone "
                        "(e.g. --suite validation)")
    suite = run_suite(args.suite, workers=default_workers())
    print(suite)
    if args.csv is not None:
        suite.table().to_csv(args.csv, index=False)
    if args.seeds:
        from ..analysis.validation_replication import replicate_suite

        print()
        print(replicate_suite(args.suite, range(1, args.seeds + 1), workers=default_workers(),
                              progress=not args.quiet))
    return suite.exit_code


def _over_population(plan, args) -> str:
    from ..calibration import PosteriorSample
    from ..workflows.analysis import replication_over_posterior

    sets = PosteriorSample.load(args.population).sets(args.sets, seed=0)
    summary = replication_over_posterior(plan, sets, sizes=tuple(args.n), progress=not args.quiet)
    sizes = "".join(f", n = {n}" for n in args.n)
    with pd.option_context("display.width", 200, "display.float_format", "{:.2f}".format):
        return (f"\nreplication over {len(sets)} posterior draws of {args.population} (the design{sizes} per arm):\n"
                + summary.to_string(index=False))


def format_findings(findings, replication=None) -> str:
    """The checklist as text; with ``replication`` (``analysis.replication.Replication``) each
    finding's line also gives the probability that a replicate experiment reproduces it."""
    lines = []
    for f in findings:
        lines.append(f"{f.id}  {f.status:7s} {f.finding.statement}")
        if replication is not None and f.status != "NOT RUN":
            lines.append(f"      {replication.sentence(f.id)}")
        if f.finding.construction:
            lines.append(f"      (by construction) {f.finding.construction}")
        if f.reason:
            lines.append(f"      {f.reason}")
        for r in f.criteria.to_dict("records"):
            mark = "ok " if r["passed"] else "NO "
            ci = f"[{r['low']:.3g}, {r['high']:.3g}]"
            lines.append(f"      {mark}{r['readout']}: {r['arm']} vs {r['reference']} {r['direction']}; "
                         f"{r['effect']} {r['estimate']:.3g} {ci}; medians {_median(r['median_arm'])} vs "
                         f"{_median(r['median_ref'])}; {r['test']} p={r['p']:.2g} (Holm {r['p_adjusted']:.2g}); "
                         f"n={r['n_arm']}/{r['n_ref']}")
    passed = sum(f.status == "PASS" for f in findings)
    failed = sum(f.status == "FAIL" for f in findings)
    lines.append(f"\n{passed} PASS, {failed} FAIL, {len(findings) - passed - failed} NOT RUN")
    if replication is not None:
        lines.append(replication.summary_text())
    return "\n".join(lines)


def _median(value: float) -> str:
    return f"{value:.3g}" if value == value and value != float("inf") else "not reached"


def power(args: argparse.Namespace) -> int:
    from ..workflows import comparisons_for, load_run

    target = args.target
    if target is not None and Path(target).is_dir():
        _, plan, _ = load_run(target)
    elif target is not None:
        plan = plan_study(load_study_file(Path(target))).with_engine("auto")
    else:
        plan = plan_study(load_builtin("toyoshima2019")).with_engine("auto")
    table = power_analysis(plan, comparisons_for(plan), pool=args.pool, reps=args.reps, target=args.power,
                           workers=args.workers or default_workers(), progress=not args.quiet)
    cols = ["comparison", "readout", "arm", "reference", "effect", "power_n5", "power_n8", "power_n12",
            "needed_text"]
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        print(table[[c for c in cols if c in table]].rename(columns={"needed_text": f"n for {args.power:.0%}"})
              .to_string(index=False))
    return 0


def report(args: argparse.Namespace) -> int:
    from ..report import write_run_report
    from ..workflows import analyse_run

    analysis = analyse_run(args.run_folder, power_pool=args.pool, workers=args.workers or default_workers(),
                           progress=not args.quiet)
    print(f"report: {write_run_report(analysis)}")
    return 0
