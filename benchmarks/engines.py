"""Engines compared on the same virtual cohort: animals per second and peak memory.

    python benchmarks/engines.py                 # 1e2..1e5 batched, 1e2..1e4 libRoadRunner, 1e2..1e3 scipy
    python benchmarks/engines.py --million       # also 1e6 animals on the batched engine, in chunks
    python benchmarks/engines.py --scipy-max 10000 --rr-processes 2

Cohort: Il6-/- mice, 1e5 CT26 cells, anti-PD-L1 200 ug on days 8 and 11, 40 days, daily output
of all 39 species, each animal with its own parameters (log-normal, spread 0.1 of the prior;
f_liver_arrest held fixed because SBML events carry the injected amount as a number). Every
engine uses rtol 1e-6 and atol 1e-9 (1e-4 for cell numbers; libRoadRunner takes one atol, 1e-9).
Each (engine, size) runs in a fresh process, so its peak RSS is its own. Times cover simulation
only: imports, cohort sampling, SBML loading (libRoadRunner's JIT) and loading the batched
engine's cached kernels are excluded (libRoadRunner over several processes includes each
process's model loading). The batched engine runs in chunks of 10,000 animals over one thread
per core this process may use, keeping the first chunk's 20 checked trajectories, so its memory
stays flat.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

PROTOCOL_TEXT = "anti-pdl1:200ug@d8,d11"
DAYS = 40.0
CHUNK = 10_000
CHECK = 20  # animals whose daily trajectories are compared between engines


def cohort(n: int, start: int = 0):
    """Parameter rows (n, n_params) and the shared dose list; animal i is the same for every engine."""
    from immunomet import Protocol, Treatment, load_model
    from immunomet.cohorts import Variability

    model = load_model()
    protocol = Protocol("il6-ko", (Treatment.parse(PROTOCOL_TEXT),), days=DAYS)
    params, doses = model.resolve(protocol)
    compiled = model.compile()
    base = compiled.parameter_vector(params)
    var = Variability(0.1, tuple(n for n in Variability().varied(model.parameters) if n != "f_liver_arrest"))
    rows = np.repeat(base[None, :], n, axis=0)
    for k in range(n):
        values = var.sample(model.parameters, np.random.default_rng(np.random.SeedSequence(7, spawn_key=(start + k,))))
        for name, value in values.items():
            rows[k, compiled.parameter_index[name]] = value
    return model, protocol, compiled, rows, doses


def run_batch(n: int, out: str) -> tuple[float, int]:
    from immunomet.simulate.cohort import batch_engine

    model, protocol, compiled, rows, doses = cohort(1)
    engine = batch_engine(model)
    engine.run(rows, [doses], DAYS, np.arange(0, 41.0))  # load the cached kernels (compiles on first use)
    seconds, failed, checked = 0.0, 0, None
    for lo in range(0, n, CHUNK):
        _, _, _, rows, _ = cohort(min(CHUNK, n - lo), lo)
        start = time.perf_counter()
        res = engine.run(rows, [doses] * len(rows), DAYS, np.arange(0, 41.0))
        seconds += time.perf_counter() - start
        failed += int((res.status != 0).sum())
        if checked is None:
            checked = res.states[:CHECK]
    np.save(out, checked)
    return seconds, failed


def run_roadrunner(n: int, out: str, processes: int = 1) -> tuple[float, int]:
    from immunomet.interop import sbml_document

    model, protocol, compiled, rows, doses = cohort(n)
    text = sbml_document(model, protocol)
    if processes == 1:
        return _timed_roadrunner(text, rows, doses, out), 0
    from concurrent.futures import ProcessPoolExecutor

    chunks = np.array_split(np.arange(n), processes)
    start = time.perf_counter()  # includes each process loading the model: part of using more processes
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_timed_roadrunner, [text] * processes, [rows[c] for c in chunks], [doses] * processes,
                      [out if k == 0 else None for k in range(processes)]))
    return time.perf_counter() - start, 0


def _timed_roadrunner(text, rows, doses, out, rtol: float = 1e-6, atol: float = 1e-9) -> float:
    """resetAll() restores parameters and fires the day-0 events (the injection); we then set the
    animal's parameters and its initial state (which some parameters define), day-0 doses added."""
    import roadrunner

    from immunomet import load_model

    compiled = load_model().compile()
    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    names = list(compiled.parameter_names)
    ids = rr.model.getFloatingSpeciesIds()
    order = [compiled.species_index[s] for s in ids]
    back = np.argsort(order)
    kept = []
    start = time.perf_counter()
    for k, p in enumerate(rows):
        rr.resetAll()
        for name, value in zip(names, p):
            rr[name] = value
        y0 = compiled.initial_state(p)
        for d in doses:
            if d.day == 0.0:
                y0[compiled.species_index[d.species]] += d.amount
        rr.model.setFloatingSpeciesAmounts(y0[order])
        res = rr.simulate(0, DAYS, 41, selections=ids)
        if k < CHECK:
            kept.append(np.asarray(res)[:, back])
    seconds = time.perf_counter() - start
    if out:
        np.save(out, np.array(kept))
    return seconds


def run_scipy(n: int, out: str, processes: int = 1) -> tuple[float, int]:
    from immunomet.simulate.ode import SolverOptions, integrate

    model, protocol, compiled, rows, doses = cohort(n)
    options = SolverOptions(output_step=1.0, rate_step=1.0)
    kept, failed = [], 0
    start = time.perf_counter()
    for k, p in enumerate(rows):
        traj = integrate(compiled, p, doses, DAYS, options, compiled.cell_species)
        failed += traj.status != "success"
        if k < CHECK:
            kept.append(traj.out_states.T)
    seconds = time.perf_counter() - start
    np.save(out, np.array(kept))
    return seconds, failed


def child(engine: str, n: int, out: str, processes: int) -> None:
    runner = {"batch": run_batch, "roadrunner": run_roadrunner, "scipy": run_scipy}[engine]
    kwargs = {"processes": processes} if engine == "roadrunner" else {}
    seconds, failed = runner(n, out, **kwargs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": n, "failed": failed, "peak_mb": peak_mb, "seconds": seconds}))


def measure(engine: str, n: int, tmp: str, processes: int = 1) -> dict:
    out = os.path.join(tmp, f"{engine}-{processes}-{n}.npy")
    cmd = [sys.executable, __file__, "--child", engine, str(n), out, str(processes)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} {n}: {proc.stderr.strip()[-500:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])  # seconds: simulation only, set-up excluded
    return info | {"engine": engine, "processes": processes, "per_s": n / info["seconds"], "out": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--batch-max", type=int, default=100_000)
    parser.add_argument("--rr-max", type=int, default=10_000)
    parser.add_argument("--scipy-max", type=int, default=1_000)
    parser.add_argument("--rr-processes", type=int, default=1, help="also time libRoadRunner over this many processes")
    parser.add_argument("--million", action="store_true", help="also 1e6 animals on the batched engine")
    args = parser.parse_args()
    if args.child:
        engine, n, out, processes = args.child
        return child(engine, int(n), out, int(processes))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sizes = [10**k for k in range(2, 7) if 10**k <= args.batch_max or (k == 6 and args.million)]
        for n in sizes:
            rows.append(measure("batch", n, tmp))
            if n <= args.rr_max:
                rows.append(measure("roadrunner", n, tmp))
                if args.rr_processes > 1:
                    rows.append(measure("roadrunner", n, tmp, args.rr_processes))
            if n <= args.scipy_max:
                rows.append(measure("scipy", n, tmp))
            _print_rows(rows[-3:] if len(rows) >= 3 else rows)
        _print_table(rows)
        _print_agreement(rows)


def _print_rows(rows):
    for r in rows:
        print(f"  measured {r['engine']:>10} x{r['processes']} n={r['n']:>8,}: {r['per_s']:8.0f} animals/s", flush=True)


def _print_table(rows) -> None:
    print("\nengine        procs   animals   seconds  animals/s  peak RSS MB  failed")
    for r in rows:
        print(f"{r['engine']:<12}  {r['processes']:>5}  {r['n']:>8,}  {r['seconds']:8.1f}  {r['per_s']:9.0f}  "
              f"{r['peak_mb']:11.0f}  {r['failed']:>6}")
    by = {(r["engine"], r["processes"], r["n"]): r["per_s"] for r in rows}
    for (engine, procs, n), speed in sorted(by.items()):
        if engine == "batch":
            continue
        batch = by.get(("batch", 1, n))
        if batch:
            print(f"batched engine / {engine} x{procs} at n={n:,}: {batch / speed:.1f}x")


def tight_reference(n: int = CHECK) -> tuple[np.ndarray, np.ndarray]:
    """Daily states (animals, days, species) of the first ``n`` animals from scipy's BDF at rtol
    1e-10, and the mask of values above the floor (1e-6 of the species' range + 10 x the default
    atol): values under it are tolerance-level noise (e.g. IL-6 at 1e-23 after a tumour is cleared)."""
    from immunomet.simulate.ode import SolverOptions, integrate

    model, protocol, compiled, cohort_rows, doses = cohort(n)
    tight = SolverOptions(rtol=1e-10, atol=1e-14, atol_cells=1e-12, output_step=1.0, rate_step=1.0)
    ref = np.array([integrate(compiled, p, doses, DAYS, tight, compiled.cell_species).out_states.T
                    for p in cohort_rows])
    floor = 1e-6 * np.abs(ref).max(axis=1, keepdims=True) + 10 * np.where(compiled.cell_species, 1e-4, 1e-9)
    return ref, np.abs(ref) > floor


def relative_errors(states: np.ndarray, ref: np.ndarray, above: np.ndarray) -> tuple[float, float, float]:
    """(max, 99th percentile, median) relative error of ``states`` on the values above the floor."""
    err = np.abs(states[above] - ref[above]) / np.abs(ref[above])
    return float(err.max()), float(np.quantile(err, 0.99)), float(np.median(err))


def _print_agreement(rows) -> None:
    """Each engine's relative error against the tight reference on the first 20 animals."""
    ref, above = tight_reference()
    seen = set()
    print(f"\nrelative error against a tight reference ({CHECK} animals x 41 days x 39 species, "
          f"{above.sum():,} values above the floor):")
    for r in rows:
        key = (r["engine"], r["processes"])
        if key in seen or not os.path.exists(r["out"]):
            continue
        seen.add(key)
        worst, p99, median = relative_errors(np.load(r["out"]), ref, above)
        print(f"  {r['engine']:<10} x{r['processes']}: max {worst:.1e}, 99th percentile {p99:.1e}, median {median:.1e}")


if __name__ == "__main__":
    main()
