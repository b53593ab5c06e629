"""End-to-end study throughput (plan to Parquet) against the raw batched engine, in one run.

    python benchmarks/run_throughput.py                  # 10^4 and 10^5 mice
    python benchmarks/run_throughput.py --sizes 1000000  # 10^6 mice (about 10 minutes on 2 cores)

Study: two arms (WT, Il6-/-), 1e5 CT26 cells intrasplenic, readouts on day 21, follow-up 21 days,
every animal with its own parameters, seeds and measurement noise, written to a run folder
as ``immunomet run`` does (its default workers: the machine's cores; no figure). Each size runs
in a fresh process so its peak RSS is its own. ``end-to-end`` is planning to the last Parquet
part. ``engine`` is the raw engine on the same work: the inputs of every engine call the study
made are recorded, and after the study the engine integrates them again, alone, one call after
another, on all cores (its default). The kernels are loaded (compiled on first use) before the
clock starts. ``--no-engine`` skips the recording and the rerun (for 10^6 mice: flat memory).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

STUDY = {"name": "throughput", "seed": 1, "readout_days": [21], "follow_up": 21,
         "arms": [{"name": "WT"}, {"name": "Il6-/-", "genotype": "il6-ko"}]}


def child(n: int, root: str, record: bool) -> None:
    import immunomet as im
    from immunomet.jobs import default_workers
    from immunomet.simulate import batch
    from immunomet.store import execute_study

    spec = im.studies.parse_study({**STUDY, "animals_per_arm": n // 2})
    plan = im.plan_study(spec).with_engine("batch")
    workers = default_workers()
    execute_study(plan.with_animals(2), root=root, progress=False, figure=False, workers=workers)  # load kernels
    calls = []
    run = batch.BatchEngine.run

    def recorded(self, *args, **kwargs):
        calls.append((self, args, kwargs))
        return run(self, *args, **kwargs)

    if record:
        batch.BatchEngine.run = recorded
    start = time.perf_counter()
    result, folder = execute_study(plan, root=root, progress=False, figure=False, workers=workers)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    batch.BatchEngine.run = run
    start = time.perf_counter()
    for engine, args, kwargs in calls:
        engine.run(*args, **kwargs)
    engine_seconds = time.perf_counter() - start if record else float("nan")
    tasks = len(list((folder.path / "tables" / "animals").glob("*")))
    print(json.dumps({"n": n, "wall": wall, "engine": engine_seconds, "peak_mb": peak, "workers": workers,
                      "failed": int(result.n_failed), "tasks": tasks}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-engine", action="store_true", help="do not record and rerun the engine calls")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(int(args.child[0]), args.child[1], not args.no_engine)
    print(f"{'mice':>9} {'end-to-end s':>13} {'mice/s':>8} {'engine s':>9} {'engine mice/s':>14} {'ratio':>6} "
          f"{'peak RSS MB':>12} {'tasks':>6} {'failed':>7}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as root:
            flags = ["--no-engine"] if args.no_engine else []
            proc = subprocess.run([sys.executable, __file__, "--child", str(n), root, *flags], capture_output=True,
                                  text=True)
        if proc.returncode:
            raise SystemExit(proc.stderr[-2000:])
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{n:>9,} {r['wall']:>13.1f} {n / r['wall']:>8.0f} {r['engine']:>9.1f} {n / r['engine']:>14.0f} "
              f"{r['engine'] / r['wall']:>6.0%} {r['peak_mb']:>12.0f} {r['tasks']:>6} {r['failed']:>7}", flush=True)


if __name__ == "__main__":
    main()
