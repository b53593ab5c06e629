"""Work-precision: animals per second against error, per engine and tolerance, on one cohort.

    python benchmarks/work_precision.py                  # about 3-4 minutes on 2 cores
    python benchmarks/work_precision.py --png out/wp.png --batch 2000 --rr 500 --scipy 50

The cohort and the reference are those of ``benchmarks/engines.py`` (Il6-/-, anti-PD-L1 on days 8
and 11, 40 days, daily output, every animal its own parameters; reference: scipy BDF at rtol
1e-10 on the first 20 animals). Each engine runs at several relative tolerances with atol =
1e-3 x rtol for molecules and 100 x rtol for cells (1e-9 and 1e-4 at the default rtol 1e-6;
libRoadRunner takes one atol, 1e-3 x rtol). Sizes are kept small so the whole run takes a few
minutes: 2,000 animals for the batched engine (all cores), 500 for libRoadRunner (one process,
and two processes of 250), 50 for scipy's BDF (one process). Errors are measured on the first 20
animals of each run, on the values above the reference's floor (see ``engines.tight_reference``).

Times cover simulation only: the batched engine's kernels are loaded (or compiled) before timing,
libRoadRunner's model is loaded and JIT-compiled before timing, in each process; with two
processes the time is that of the slower one (so process start-up is not counted against it).
Writes a PNG (x: error, y: animals/s, log-log, one line per engine; 99th-percentile and max error
side by side) and prints the table.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engines import CHECK, DAYS, _timed_roadrunner, cohort, relative_errors, tight_reference  # noqa: E402

BATCH_RTOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
RR_RTOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
SCIPY_RTOLS = (1e-5, 1e-6, 1e-8)
OUT_T = np.arange(0, DAYS + 1.0)


def atols(rtol: float) -> tuple[float, float]:
    """(molecules, cells) absolute tolerances that go with ``rtol``."""
    return 1e-3 * rtol, 100 * rtol


def time_batch(rows, doses, rtol: float) -> tuple[float, np.ndarray]:
    from immunomet import load_model
    from immunomet.simulate.cohort import batch_engine

    engine = batch_engine(load_model())
    atol, atol_cells = atols(rtol)
    engine.run(rows[:1], [doses], DAYS, OUT_T, rtol=rtol, atol=atol, atol_cells=atol_cells)  # load the kernels
    start = time.perf_counter()
    run = engine.run(rows, [doses] * len(rows), DAYS, OUT_T, rtol=rtol, atol=atol, atol_cells=atol_cells)
    seconds = time.perf_counter() - start
    if (run.status != 0).any():
        raise SystemExit(f"batched engine at rtol {rtol:g}: {(run.status != 0).sum()} animals failed")
    return len(rows) / seconds, run.states[:CHECK]


def time_roadrunner(text, rows, doses, rtol: float, processes: int, tmp: str) -> tuple[float, np.ndarray]:
    out = os.path.join(tmp, f"rr-{rtol:g}-{processes}.npy")
    atol = atols(rtol)[0]
    if processes == 1:
        seconds = _timed_roadrunner(text, rows, doses, out, rtol, atol)
    else:
        chunks = np.array_split(np.arange(len(rows)), processes)
        with ProcessPoolExecutor(processes) as pool:
            seconds = max(pool.map(_timed_roadrunner, [text] * processes, [rows[c] for c in chunks],
                                   [doses] * processes, [out if k == 0 else None for k in range(processes)],
                                   [rtol] * processes, [atol] * processes))
    return len(rows) / seconds, np.load(out)


def time_scipy(compiled, rows, doses, rtol: float) -> tuple[float, np.ndarray]:
    from immunomet.simulate.ode import SolverOptions, integrate

    atol, atol_cells = atols(rtol)
    options = SolverOptions(rtol=rtol, atol=atol, atol_cells=atol_cells, output_step=1.0, rate_step=1.0)
    start = time.perf_counter()
    states = [integrate(compiled, p, doses, DAYS, options, compiled.cell_species).out_states.T for p in rows]
    return len(rows) / (time.perf_counter() - start), np.array(states[:CHECK])


def measure(n_batch: int, n_rr: int, n_scipy: int) -> list[dict]:
    from immunomet.interop import sbml_document

    ref, above = tight_reference()
    model, protocol, compiled, rows, doses = cohort(max(n_batch, n_rr, n_scipy))
    results = []

    def record(engine: str, rtol: float, speed: float, states: np.ndarray) -> None:
        worst, p99, median = relative_errors(states, ref, above)
        results.append(dict(engine=engine, rtol=rtol, per_s=speed, max=worst, p99=p99, median=median))
        print(f"  {engine:<22} rtol {rtol:7.0e}: {speed:8.0f} animals/s, max {worst:.1e}, 99th {p99:.1e}", flush=True)

    for rtol in BATCH_RTOLS:
        record("batched (all cores)", rtol, *time_batch(rows[:n_batch], doses, rtol))
    text = sbml_document(model, protocol)
    with tempfile.TemporaryDirectory() as tmp:
        for rtol in RR_RTOLS:
            for processes in (1, 2):
                label = f"libRoadRunner x{processes}"
                record(label, rtol, *time_roadrunner(text, rows[:n_rr], doses, rtol, processes, tmp))
    for rtol in SCIPY_RTOLS:
        record("scipy BDF x1", rtol, *time_scipy(compiled, rows[:n_scipy], doses, rtol))
    return results


def print_table(results: list[dict]) -> None:
    print(f"\n{'engine':<22} {'rtol':>7} {'animals/s':>10} {'max err':>9} {'99th pct':>9} {'median':>9}")
    for r in results:
        print(f"{r['engine']:<22} {r['rtol']:7.0e} {r['per_s']:10.0f} {r['max']:9.1e} {r['p99']:9.1e} {r['median']:9.1e}")


def plot(results: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    engines = list(dict.fromkeys(r["engine"] for r in results))
    for ax, key, title in ((axes[0], "p99", "99th-percentile relative error"), (axes[1], "max", "max relative error")):
        for k, engine in enumerate(engines):
            rs = [r for r in results if r["engine"] == engine]
            line, = ax.loglog([r[key] for r in rs], [r["per_s"] for r in rs], "o-", label=engine)
            for r in rs:  # labels above the line for every other engine, below for the others
                ax.annotate(f"{r['rtol']:.0e}", (r[key], r["per_s"]), textcoords="offset points",
                            xytext=(4, 4 if k % 2 == 0 else -11), fontsize=7, color=line.get_color())
        ax.set_xlabel(f"{title} vs scipy BDF rtol 1e-10")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("animals per second")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Work-precision, {CHECK} checked animals, Il6-/- + anti-PD-L1, 40 days (labels: rtol)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", default="out/work_precision.png")
    parser.add_argument("--batch", type=int, default=2000, help="animals for the batched engine")
    parser.add_argument("--rr", type=int, default=500, help="animals for libRoadRunner")
    parser.add_argument("--scipy", type=int, default=50, help="animals for scipy's BDF")
    args = parser.parse_args()
    results = measure(args.batch, args.rr, args.scipy)
    print_table(results)
    plot(results, args.png)
    print(f"\nplot: {os.path.abspath(args.png)}")


if __name__ == "__main__":
    main()
