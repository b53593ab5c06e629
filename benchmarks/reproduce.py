"""Wall time of `immunomet reproduce` (the built-in study, its patient cohort, findings, power, report).

    python benchmarks/reproduce.py [--repeat 3] [--workers N] [--engine scipy|batch|auto]
    python benchmarks/reproduce.py --fresh     # a new user: new venv, pip install ., first run compiles

Each repeat is a fresh process in a fresh folder, so interpreter start-up, imports, writing the run
folder and the report are all counted. ``--fresh`` times what a new user's first command costs:
``pip install .`` into a new virtual environment (from pip's cache when the wheels were downloaded
before), then ``immunomet reproduce`` with empty kernel caches (the one-time compile of the
batched engine included), then a second ``reproduce`` that loads the cached kernels.
Goal (issue "One array-native run core"): a fresh ``pip install . && immunomet reproduce`` in 60 s
on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], cwd: str, env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-2000:]}")
    return time.perf_counter() - start, proc


def fresh() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = str(venv / "bin" / "python")
        env = {**os.environ, "IMMUNOMET_CACHE": str(Path(tmp) / "cache"), "NUMBA_CACHE_DIR": str(Path(tmp) / "numba")}
        env.pop("PYTHONPATH", None)
        install, _ = timed([python, "-m", "pip", "install", "-q", str(ROOT)], tmp, env)
        first, proc = timed([python, "-m", "immunomet", "reproduce", "--quiet", "--out", "run1"], tmp, env)
        second, _ = timed([python, "-m", "immunomet", "reproduce", "--quiet", "--out", "run2"], tmp, env)
    notice = next((line for line in proc.stderr.splitlines() if "compil" in line), "(no compile notice)")
    print(f"pip install .:                      {install:6.1f} s")
    print(f"first immunomet reproduce:          {first:6.1f} s  (compile included; {notice.strip()})")
    print(f"pip install . && immunomet reproduce: {install + first:4.1f} s")
    print(f"second immunomet reproduce:         {second:6.1f} s  (kernels cached)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--engine", default="auto", choices=["auto", "batch", "scipy"])
    parser.add_argument("--fresh", action="store_true", help="a new venv, pip install ., empty caches")
    args = parser.parse_args()
    if args.fresh:
        return fresh()
    cmd = [sys.executable, "-m", "immunomet", "reproduce", "--quiet", "--engine", args.engine]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    times = []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            seconds, proc = timed(cmd, tmp)
        times.append(seconds)
        line = next(x for x in proc.stdout.splitlines() if x.startswith("run folder:"))
        print(f"repeat {i + 1}: {seconds:.1f} s wall  ({line.split('(')[1].rstrip(')')})")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"immunomet reproduce --engine {args.engine} on {cores} cores: median {statistics.median(times):.1f} s, "
          f"max {max(times):.1f} s")


if __name__ == "__main__":
    main()
