"""``immunomet reproduce`` / ``run STUDY.yaml`` / ``study list|show|schema`` / ``runs``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..store import Catalog, execute_study, resume_study
from ..studies import builtin_studies, load_builtin, load_study_file, plan_study
from ..studies.builtin import builtin_study_text
from ..studies.runner import default_workers
from ..studies.spec import StudySpec
from ._args import nonnegative_int, positive_int


def register(sub) -> None:
    p = sub.add_parser("reproduce", help="run the built-in Toyoshima 2019 study on virtual mice and patients",
                       description="Run every arm of the built-in study toyoshima2019 (colonisation and "
                                   "survival) and an untreated virtual patient cohort (DFS by tumour IL-6), write a "
                                   "run folder, check findings F1-F9 and write the report.")
    p.add_argument("--study", default="toyoshima2019", help="built-in study to run (see 'immunomet study list')")
    _run_options(p)
    p.set_defaults(handler=reproduce)

    p = sub.add_parser("run", help="run a study described in a YAML file",
                       description="Run a study YAML (see examples/ and 'immunomet study schema').")
    p.add_argument("study_file", type=Path, metavar="STUDY.yaml")
    _run_options(p)
    p.set_defaults(handler=run)

    p = sub.add_parser("resume", help="finish an interrupted run in its run folder",
                       description="Run the chunks an interrupted run did not finish, with the run's own seed, "
                                   "engine and chunk size: the final tables equal an uninterrupted run's.")
    p.add_argument("run_folder", type=Path, metavar="RUN")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: the machine's cores)")
    p.add_argument("--scheduler", type=scheduler_address, default="local", help=_SCHEDULER_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=resume)

    p = sub.add_parser("study", help="list, show or describe study specs")
    p.add_argument("action", choices=["list", "show", "schema"],
                   help="list built-in studies, show one as YAML (a template), or print the JSON schema")
    p.add_argument("name", nargs="?", default="toyoshima2019")
    p.set_defaults(handler=study)

    p = sub.add_parser("runs", help="list the runs in the catalog")
    p.add_argument("--root", type=Path, default=Path("runs"), help="runs folder holding catalog.duckdb")
    p.set_defaults(handler=runs)


_SCHEDULER_HELP = ("local (default): this machine's cores; tcp://HOST:PORT: a Dask scheduler whose workers run "
                   "the chunks (the 'dist' extra; see docs/scaling.md)")


def scheduler_address(text: str) -> str:
    if text == "local" or text.startswith(("tcp://", "tls://", "inproc://")):
        return text
    raise argparse.ArgumentTypeError(f"{text!r}: use local or a Dask scheduler address such as tcp://HOST:8786")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--animals", type=positive_int, default=None, help="animals per arm (overrides the study)")
    p.add_argument("--seed", type=nonnegative_int, default=None, help="study seed (overrides the study)")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: the machine's cores)")
    p.add_argument("--chunk-size", type=positive_int, default=8, help="animals per task (results do not depend on it)")
    p.add_argument("--root", type=Path, default=Path("runs"), help="runs folder with the catalog (default ./runs)")
    p.add_argument("--out", type=Path, default=None, help="run folder (default ROOT/STUDY-TIMESTAMP)")
    p.add_argument("--scheduler", type=scheduler_address, default="local", help=_SCHEDULER_HELP)
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto",
                   help="batch: the numba cohort engine (the 'fast' extra), threads over all cores; scipy: one "
                        "animal at a time over --workers processes; auto (default): batch if numba is installed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def reproduce(args: argparse.Namespace) -> int:
    """Run the built-in study, then check the findings and write the report into the run folder."""
    from ..report.run_report import analyse_and_report, run_patient_cohort
    from .analysis_cmd import format_findings

    code, folder = _execute(load_builtin(args.study), args)
    if folder is None:
        return code
    cohort, _ = run_patient_cohort(folder, engine=args.engine, workers=args.workers or default_workers(),
                                   progress=not args.quiet)
    print(f"\nvirtual patients: {len(cohort.patients)} after resection (built-in trial dfs_by_il6), in "
          f"{folder.path / 'patients'}")
    path, findings, _ = analyse_and_report(folder.path, workers=args.workers or default_workers(),
                                           progress=not args.quiet)
    print("\n" + format_findings(findings))
    print(f"\nreport:     {path}")
    return code  # the verdicts are printed; 'immunomet validate RUN' exits 1 on a FAIL


def run(args: argparse.Namespace) -> int:
    return _execute(load_study_file(args.study_file), args)[0]


def _execute(spec: StudySpec, args: argparse.Namespace):
    """Run and store a study; returns (exit code, run folder)."""
    plan = plan_study(spec).with_engine(args.engine)
    if args.animals is not None:
        plan = plan.with_animals(args.animals)
    if args.seed is not None:
        plan = plan.with_seed(args.seed)
    workers = args.workers or default_workers()
    root = args.out.parent if args.out is not None else args.root
    result, folder = execute_study(plan, root=root, out=args.out, workers=workers, chunk_size=args.chunk_size,
                                   progress=not args.quiet, scheduler=args.scheduler)
    print(result)
    wall = result.provenance.get("wall_seconds")
    how = f"Dask at {args.scheduler}" if args.scheduler != "local" else (
        "the batched engine" if plan.engine == "batch" else f"{workers} workers")
    print(f"\nrun folder: {folder.path}  ({plan.n_animals} mice in {wall:.1f} s on {how})")
    print(f"catalog:    {Catalog(root).path}")
    return (0 if result.n_failed == 0 else 1), folder


def resume(args: argparse.Namespace) -> int:
    workers = args.workers or default_workers()
    result, folder = resume_study(args.run_folder, workers=workers, progress=not args.quiet, scheduler=args.scheduler)
    print(result)
    print(f"\nrun folder: {folder.path}  ({result.provenance.get('status')}, {len(result.animals)} mice)")
    return 0 if result.n_failed == 0 else 1


def study(args: argparse.Namespace) -> int:
    if args.action == "list":
        print("\n".join(builtin_studies()))
    elif args.action == "show":
        sys.stdout.write(builtin_study_text(args.name))
    else:
        print(json.dumps(StudySpec.model_json_schema(), indent=2))
    return 0


def runs(args: argparse.Namespace) -> int:
    table = Catalog(args.root).runs()
    if table.empty:
        print(f"no runs in {args.root}")
        return 0
    print(table.drop(columns=["path", "model_hash"]).to_string(index=False))
    return 0
