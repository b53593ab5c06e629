"""Run a study's animals in chunks, on one or more processes, with a progress bar.

Each animal is independent given its seed streams (``cohorts.animal_seeds``), so results are
identical whatever the chunk size or number of workers. A chunk returns small tables (one row per
animal, long readouts, daily time courses, sampled parameters) and the trajectories are dropped,
so memory stays flat however many animals run.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd

from ..cohorts import animal_seeds
from ..readouts import READOUTS, measure, time_to_endpoint
from ..simulate import simulate
from ..simulate.cohort import simulate_cohort
from .plan import StudyPlan

# daily time courses kept per animal (for cohort bands in figures and reports)
TIMECOURSE_VARIABLES = ("tumour_burden", "tumour_volume", "cd8_effector", "dc_mature", "il12", "ifn", "il6",
                        "pdl1", "mhc1", "perforin_of_cd8", "mhc2hi_of_dc")
TABLES = ("animals", "readouts", "timecourses", "parameters")


@dataclass(frozen=True)
class Chunk:
    """Animals ``start`` .. ``stop - 1`` of arm ``arm``; ``index`` orders chunks in a run."""

    index: int
    arm: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def make_chunks(plan: StudyPlan, chunk_size: int = 16) -> list[Chunk]:
    chunks = []
    for a, arm in enumerate(plan.arms):
        for start in range(0, arm.animals, chunk_size):
            chunks.append(Chunk(len(chunks), a, start, min(start + chunk_size, arm.animals)))
    return chunks


def run_chunk(plan: StudyPlan, chunk: Chunk) -> dict[str, pd.DataFrame]:
    """Simulate and measure the animals of one chunk (together, on the batched engine, or one
    by one); returns the four tables."""
    arm = plan.arms[chunk.arm]
    seeds = [animal_seeds(plan.seed, plan.seed_group(arm), i) for i in range(chunk.start, chunk.stop)]
    values = [plan.variability.sample(plan.model.parameters, np.random.default_rng(s.parameters)) for s in seeds]
    models = [plan.model.with_parameters(v) for v in values]
    try:
        results = simulate_cohort(models, arm.protocol, [s.colonisation for s in seeds], options=plan.solver,
                                  engine=plan.engine)
    except Exception:  # a bug must not lose the rest of the run: retry animal by animal, recording errors
        results = [_simulate_or_error(m, arm.protocol, s.colonisation, plan) for m, s in zip(models, seeds)]
    rows: dict[str, list] = {t: [] for t in TABLES}
    for i, (model, s, v, result) in enumerate(zip(models, seeds, values, results)):
        animal = chunk.start + i
        parts = (_failed_animal(arm, animal, s, v, result) if isinstance(result, str)
                 else measure_animal(plan, arm, animal, model, s, v, result))
        for table, part in parts.items():
            rows[table].extend(part)
    return {t: pd.DataFrame(rows[t], columns=COLUMNS[t]) for t in TABLES}


def _simulate_or_error(model, protocol, seed, plan):
    try:
        return simulate(model, protocol, seed=seed, options=plan.solver)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


COLUMNS = {
    "animals": ["arm", "part", "animal", "genotype", "status", "message", "survival_day", "death", "seed_key"],
    "readouts": ["arm", "animal", "day", "readout", "value", "unit"],
    "timecourses": ["arm", "animal", "day", "variable", "value"],
    "parameters": ["arm", "animal", "parameter", "value"],
}


def measure_animal(plan: StudyPlan, arm, animal: int, model, seeds, values, result) -> dict[str, list]:
    """One simulated animal -> its rows: status and survival, readouts, time courses, parameters."""
    injection_day = arm.protocol.injection.day
    day, death = time_to_endpoint(result, plan.endpoint) if len(result.days) else (injection_day, False)
    animal_row = [arm.name, arm.part, animal, arm.protocol.genotype, result.status, result.message,
                  day - injection_day, death, _key(seeds)]
    rng = np.random.default_rng(seeds.measurement)
    units = {r.name: r.unit for r in READOUTS}
    readouts = []
    for rday in arm.readout_days:
        measured = measure(model, result, rday, plan.noise, rng, local=plan.local_tumour)
        if death and rday > day:  # euthanised at the end point before this readout: nothing to measure
            measured = dict.fromkeys(measured, float("nan"))
        for name, value in measured.items():
            readouts.append([arm.name, animal, rday, name, value, units[name]])
    return {"animals": [animal_row], "readouts": readouts, "timecourses": _timecourses(arm.name, animal, result),
            "parameters": [[arm.name, animal, k, v] for k, v in values.items()]}


def _key(seeds) -> str:
    return f"{seeds.root.entropy}:{','.join(map(str, seeds.spawn_key))}"


def _failed_animal(arm, animal, seeds, values, message: str) -> dict[str, list]:
    row = [arm.name, arm.part, animal, arm.protocol.genotype, "error", message, float("nan"), False, _key(seeds)]
    return {"animals": [row], "readouts": [], "timecourses": [],
            "parameters": [[arm.name, animal, k, v] for k, v in values.items()]}


def _timecourses(arm: str, animal: int, result) -> list[list]:
    days = result.days
    daily = np.isclose(days, np.round(days)) & (days >= 0)
    out = []
    for name in TIMECOURSE_VARIABLES:
        series = result.series(name).to_numpy()[daily]
        out.extend([arm, animal, float(d), name, float(v)] for d, v in zip(days[daily], series))
    return out


def iter_chunks(plan: StudyPlan, chunks: list[Chunk], workers: int = 1, progress: bool = True,
                scheduler: str = "local") -> Iterator[tuple[Chunk, dict[str, pd.DataFrame]]]:
    """Yield (chunk, tables) as chunks finish, with a progress bar: on this machine (``workers``
    processes, or the batched engine's threads) or on a Dask cluster (``scheduler="tcp://..."``)."""
    from tqdm.auto import tqdm

    bar = tqdm(total=sum(c.size for c in chunks), unit="mouse", desc=plan.name, disable=not progress,
               dynamic_ncols=True)
    try:
        if scheduler != "local":
            from .distributed import dask_chunks

            yield from dask_chunks(plan, chunks, scheduler, bar)
            return
        if workers <= 1 or plan.engine == "batch":  # the batched engine spreads animals over threads itself
            for chunk in chunks:
                tables = run_chunk(plan, chunk)
                bar.update(chunk.size)
                yield chunk, tables
            return
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_chunk, plan, c): c for c in chunks}
            for future in as_completed(futures):
                chunk = futures[future]
                tables = future.result()
                bar.update(chunk.size)
                yield chunk, tables
    finally:
        bar.close()


def default_workers() -> int:
    """The cores this process may use, at most 8."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, 8))
