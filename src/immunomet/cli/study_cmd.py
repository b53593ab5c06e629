"""``immunomet reproduce`` / ``run STUDY.yaml`` / ``study list|show|schema`` / ``runs``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import DataError
from ..jobs import default_workers
from ..store import Catalog, check, execute_study, resume
from ..studies import StudyResult, builtin_studies, load_builtin, load_study_file, plan_study
from ..studies.builtin import builtin_study_text
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
                       description="Run the tasks an interrupted run (a study, or a trial or patient cohort) did "
                                   "not finish, with the run's own seed, engine and chunk size: the final tables "
                                   "equal an uninterrupted run's.")
    p.add_argument("run_folder", type=Path, metavar="RUN")
    p.add_argument("--workers", type=positive_int, default=None, help=_WORKERS_HELP)
    p.add_argument("--scheduler", type=scheduler_address, default="local", help=_SCHEDULER_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=resume_run)

    p = sub.add_parser("check", help="check a run folder: missing, corrupt or doubled parts",
                       description="Compare a run folder's manifest with its files: every finished task's parts "
                                   "present with their row counts and SHA-256, no part that no task owns, no task "
                                   "recorded twice, and which tasks are not finished. Exit 1 if anything is wrong; "
                                   "'immunomet resume RUN' re-runs exactly the damaged and unfinished tasks.")
    p.add_argument("run_folder", type=Path, metavar="RUN")
    p.set_defaults(handler=check_run)

    p = sub.add_parser("study", help="list, show or describe study specs")
    p.add_argument("action", choices=["list", "show", "schema"],
                   help="list built-in studies, show one as YAML (a template), or print the JSON schema")
    p.add_argument("name", nargs="?", default="toyoshima2019")
    p.set_defaults(handler=study)

    p = sub.add_parser("runs", help="list the runs in the catalog")
    p.add_argument("--root", type=Path, default=Path("runs"), help="runs folder holding catalog.duckdb")
    p.add_argument("--rebuild", action="store_true", help="re-index catalog.duckdb from the run folders")
    p.set_defaults(handler=runs)


_WORKERS_HELP = "workers: threads on the batched engine, processes on scipy (default: the machine's cores)"
_SCHEDULER_HELP = ("local (default): this machine's cores; tcp://HOST:PORT: a Dask scheduler whose workers run "
                   "the chunks (the 'dist' extra; see docs/scaling.md)")


def scheduler_address(text: str) -> str:
    if text == "local" or text.startswith(("tcp://", "tls://", "inproc://")):
        return text
    raise argparse.ArgumentTypeError(f"{text!r}: use local or a Dask scheduler address such as tcp://HOST:8786")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--animals", type=positive_int, default=None, help="animals per arm (overrides the study)")
    p.add_argument("--seed", type=nonnegative_int, default=None, help="study seed (overrides the study)")
    p.add_argument("--workers", type=positive_int, default=None, help=_WORKERS_HELP)
    p.add_argument("--chunk-size", type=positive_int, default=None,
                   help="animals per task (default 1000 on the batched engine, 8 on scipy; results do not depend on it)")
    p.add_argument("--root", type=Path, default=Path("runs"), help="runs folder with the catalog (default ./runs)")
    p.add_argument("--out", type=Path, default=None, help="run folder (default ROOT/STUDY-TIMESTAMP)")
    p.add_argument("--scheduler", type=scheduler_address, default="local", help=_SCHEDULER_HELP)
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto",
                   help="batch (auto, the default): the compiled cohort engine, threads over all cores; scipy: the "
                        "reference solver, one animal at a time over --workers processes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--allow-large", action="store_true",
                   help="run more than 10^7 mice (refused otherwise: hours to days of compute, usually a typo)")


def reproduce(args: argparse.Namespace) -> int:
    """Run the built-in study and patient cohort, check the findings and write the report."""
    from ..report import write_run_report
    from ..workflows import reproduce as run_reproduce
    from .analysis_cmd import format_findings

    workers = args.workers or default_workers()
    analysis = run_reproduce(load_builtin(args.study), engine=args.engine, animals=args.animals, seed=args.seed,
                             workers=workers, chunk_size=args.chunk_size or 0, root=_root(args), out=args.out,
                             scheduler=args.scheduler, progress=not args.quiet, allow_large=args.allow_large)
    _print_run(analysis.result, analysis.folder, args, workers)
    print(f"\nvirtual patients: {len(analysis.cohort.patients)} after resection (built-in trial dfs_by_il6), in "
          f"{analysis.path / 'patients'}")
    print("\n" + format_findings(analysis.findings))
    print(f"\nreport:     {write_run_report(analysis)}")
    return 0 if analysis.result.n_failed == 0 else 1  # 'immunomet validate RUN' exits 1 on a FAIL


def run(args: argparse.Namespace) -> int:
    plan = plan_study(load_study_file(args.study_file)).with_engine(args.engine)
    if args.animals is not None:
        plan = plan.with_animals(args.animals)
    if args.seed is not None:
        plan = plan.with_seed(args.seed)
    workers = args.workers or default_workers()
    result, folder = execute_study(plan, root=_root(args), out=args.out, workers=workers,
                                   chunk_size=args.chunk_size or 0, progress=not args.quiet, scheduler=args.scheduler,
                                   allow_large=args.allow_large)
    _print_run(result, folder, args, workers)
    return 0 if result.n_failed == 0 else 1


def _root(args) -> Path:
    return args.out.parent if args.out is not None else args.root


def _print_run(result: StudyResult, folder, args, workers: int) -> None:
    print(result)
    if len(result.animals) and result.n_failed == len(result.animals):
        spec = result.provenance.get("spec", {})
        edits = [f"{k}.{n}" for k in ("parameters", "cell_line") for n in (spec.get(k) or {}) if n != "name"]
        status = result.animals["status"].mode().iloc[0]
        sys.stderr.write(f"immunomet: every animal failed to solve ({status}); "
                         + (f"the study's edits {', '.join(edits)} are the likely cause: move them towards the "
                            "model's values" if edits else "the solver settings cannot follow this model") + "\n")
    prov = result.provenance
    how = f"Dask at {args.scheduler}" if args.scheduler != "local" else (
        "the batched engine" if prov.get("engine") == "batch" else f"{workers} workers")
    print(f"\nrun folder: {folder.path}  ({prov.get('animals')} mice in {prov.get('wall_seconds'):.1f} s on {how})")
    print(f"catalog:    {Catalog(_root(args)).path}")


def resume_run(args: argparse.Namespace) -> int:
    workers = args.workers or default_workers()
    result, folder = resume(args.run_folder, workers=workers, progress=not args.quiet, scheduler=args.scheduler)
    print(result)
    prov = result.provenance
    unit = {"mouse": "mice"}.get(prov.get("unit"), f"{prov.get('unit')}s")
    print(f"\nrun folder: {folder.path}  ({prov.get('status')}, {prov.get('individuals')} {unit})")
    return 0 if not prov.get("failed") else 1


def check_run(args: argparse.Namespace) -> int:
    job, problems = check(args.run_folder)
    tasks = len(job.tasks())
    if not problems:
        print(f"{args.run_folder}: {tasks} tasks, every part present and whole")
        return 0
    for problem in problems:
        print(problem)
    print(f"\n{len(problems)} problem(s) in {tasks} tasks; 'immunomet resume {args.run_folder}' re-runs the damaged "
          "and unfinished tasks")
    return 1


def study(args: argparse.Namespace) -> int:
    if args.action == "list":
        print("\n".join(builtin_studies()))
    elif args.action == "show":
        sys.stdout.write(builtin_study_text(args.name))
    else:
        print(json.dumps(StudySpec.model_json_schema(), indent=2))
    return 0


def runs(args: argparse.Namespace) -> int:
    if args.root.exists() and not args.root.is_dir():
        raise DataError(f"--root {str(args.root)!r} is a file; give the folder that holds the run folders")
    catalog = Catalog(args.root)
    table = catalog.rebuild() if args.rebuild else catalog.runs()
    if table.empty:
        print(f"no runs in {args.root}")
        return 0
    print(table.drop(columns=["path", "model_hash"]).to_string(index=False))
    return 0
