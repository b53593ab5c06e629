"""A study as a job of the run core: chunks of one arm's animals, simulated and measured together.

Each animal is independent given its seed streams (``cohorts.animal_seeds``: parameters,
colonisation, measurement), so the tables are identical whatever the chunk size, executor or
sink. A chunk returns four columnar tables and drops the trajectories, so memory stays flat:

- ``animals``: arm, part, animal, genotype, status, message, survival_day, death, tumour_free (the
  tumour was eradicated by the end of follow-up), seed_key;
- ``readouts``: arm, animal, day and one column per readout (units in the schema's metadata);
- ``timecourses``: arm, animal, day (whole days) and one column per variable of ``TIMECOURSE_VARIABLES``;
- ``parameters``: arm, animal and one column per parameter that varies between animals.
"""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa

from ..cohorts import animal_seeds_many
from ..jobs import Job, Task, Tables
from ..provenance import software_versions, utc_now
from ..errors import SpecError
from ..random import animal_rng, child_sequences
from ..readouts import UNITS, measure_cohort, readout_names, survival
from ..simulate import simulate_cohort
from ..simulate.cohort import bytes_per_animal
from ..simulate.status import status_texts
from .plan import StudyPlan

# daily time courses kept per animal (for cohort bands in figures and reports)
TIMECOURSE_VARIABLES = ("tumour_burden", "tumour_volume", "cd8_effector", "dc_mature", "il12", "ifn", "il6",
                        "pdl1", "mhc1", "perforin_of_cd8", "mhc2hi_of_dc")
TABLES = ("animals", "readouts", "timecourses", "parameters")
KEYS = {"animals": ("arm", "animal"), "readouts": ("arm", "animal", "day"), "timecourses": ("arm", "animal", "day"),
        "parameters": ("arm", "animal")}
DEFAULT_CHUNK = {"batch": 1000, "scipy": 8}  # animals per task: the batched engine threads over a chunk
TASK_MEMORY = 256 * 2**20  # bytes of trajectories per task at most (long follow-ups get smaller chunks)
MAX_INDIVIDUALS = 10**7    # more in one run is refused unless allowed: hours to days of compute, likely a typo


def task_size(default: int, model, protocols, options) -> int:
    """Animals per task: ``default``, fewer if their trajectories would pass ``TASK_MEMORY``."""
    per_animal = max(bytes_per_animal(model, p, options) for p in protocols)
    return max(1, min(default, TASK_MEMORY // per_animal))


def check_individuals(n: int, field: str, unit: str, allow_large: bool) -> None:
    """Refuse a run of more than ``MAX_INDIVIDUALS`` unless ``allow_large`` (one line naming ``field``)."""
    if n > MAX_INDIVIDUALS and not allow_large:
        raise SpecError(f"{field}: {n:,} virtual {unit} in one run would take many hours (about 2,000 a second on "
                        f"2 cores); give fewer, or --allow-large (allow_large=True) if you mean it")


class ArmChunkedJob(Job):
    """A job over the individuals of a plan's arms, in tasks of at most ``chunk`` individuals of one
    arm (key: arm index, first and last + 1 individual). Subclasses hold ``plan`` and
    ``chunk_size`` (0: ``default_chunk`` of the plan's engine, smaller where trajectories are long)
    and say how many individuals each arm has."""

    default_chunk: ClassVar[dict[str, int]] = DEFAULT_CHUNK

    @abstractmethod
    def arm_sizes(self) -> list[int]:
        """Individuals per arm, in arm order."""

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def chunk(self) -> int:
        plan = self.plan
        return self.chunk_size or task_size(self.default_chunk[plan.engine], plan.model,
                                            [a.protocol for a in plan.arms], plan.solver)

    def tasks(self) -> list[Task]:
        size, out = self.chunk, []
        for a, n in enumerate(self.arm_sizes()):
            for start in range(0, n, size):
                stop = min(start + size, n)
                out.append(Task(len(out), stop - start, (a, start, stop)))
        return out


@dataclass(frozen=True)
class StudyJob(ArmChunkedJob):
    """Every animal of ``plan`` in chunks of at most ``chunk_size`` animals of one arm."""

    plan: StudyPlan
    chunk_size: int = 0  # 0: DEFAULT_CHUNK of the plan's engine

    kind = "study"
    unit = "mouse"

    def arm_sizes(self) -> list[int]:
        return [arm.animals for arm in self.plan.arms]

    def check_size(self, allow_large: bool = False) -> None:
        field = "animals_per_arm" if len({a.animals for a in self.plan.arms}) == 1 else "arms[].animals"
        check_individuals(self.plan.n_animals, field, "mice", allow_large)

    def run_task(self, task: Task, tick=None) -> Tables:
        a, start, stop = task.key
        return simulate_animals(self.plan, a, start, stop)

    def schemas(self) -> dict[str, pa.Schema]:
        return study_schemas(self.plan)

    def describe(self) -> dict:
        plan = self.plan
        return {"kind": self.kind, "spec": plan.spec.model_dump(mode="json"), "engine": plan.engine,
                "paired": plan.paired, "chunk_size": self.chunk}

    def provenance(self) -> dict:
        return study_provenance(self.plan) | {"chunk_size": self.chunk}

    def finish(self, tables: dict):
        from .result import StudyResult

        return StudyResult.from_tables(tables, [a.name for a in self.plan.arms], self.provenance())


def simulate_animals(plan: StudyPlan, a: int, start: int, stop: int) -> Tables:
    """Animals ``start .. stop-1`` of arm ``a``: parameters, simulation, survival, readouts, time courses."""
    arm = plan.arms[a]
    seeds = animal_seeds_many(plan.seed, plan.seed_group(arm), range(start, stop))
    model = arm.model or plan.model
    compiled = model.compile()
    names, values = plan.variability.draw(model.parameters, [animal_rng(s.parameters) for s in seeds])
    matrix = np.tile(compiled.parameter_vector(model.parameters), (len(seeds), 1))
    matrix[:, [compiled.parameter_index[n] for n in names]] = values
    colonisation = [s.colonisation for s in seeds]
    cohort = simulate_cohort(model, arm.protocol, colonisation, parameters=matrix, options=plan.solver,
                             engine=plan.engine)
    injection_day = arm.protocol.injection.day
    day, death, free = survival(cohort, plan.endpoint, [animal_rng(c) for c in child_sequences(colonisation, 1)])
    animals = np.arange(start, stop)
    ids = {"arm": _repeat(arm.name, len(seeds)), "animal": pa.array(animals)}
    tables = {"animals": pa.table({
        **ids, "part": _repeat(arm.part, len(seeds)), "genotype": _repeat(arm.protocol.genotype, len(seeds)),
        "status": pa.array(status_texts(cohort.status), pa.string()),
        "message": pa.array(list(cohort.messages), pa.string()),
        "survival_day": pa.array(day - injection_day), "death": pa.array(death), "tumour_free": pa.array(free),
        "seed_key": pa.array([_key(s) for s in seeds], pa.string())})}
    tables["readouts"] = _readouts(plan, arm, cohort, seeds, animals, day, death)
    tables["timecourses"] = _timecourses(arm.name, cohort, animals, np.where(death, day, np.inf))
    drawn = {n: values[:, k] for k, n in enumerate(names)}
    # a parameter the arm's own cell line holds fixed (e.g. an IL-6 knock-out, secretion 0, cannot vary
    # log-normally) is a column of the study's table all the same: its one value
    fixed = {n: np.full(len(seeds), model.parameters.value(n)) for n in plan.variability.varied(plan.model.parameters)
             if n not in drawn and plan.variability.spread}
    tables["parameters"] = pa.table({**ids, **{n: pa.array(v) for n, v in (drawn | fixed).items()}})
    schemas = study_schemas(plan)
    return {name: table.select(schemas[name].names).cast(schemas[name]) for name, table in tables.items()}


def _readouts(plan: StudyPlan, arm, cohort, seeds, animals: np.ndarray, day, death) -> pa.Table:
    rngs = [animal_rng(s.measurement) for s in seeds]
    names = readout_names(plan.local_tumour)
    parts = []
    for rday in arm.readout_days:
        measured = measure_cohort(cohort, rday, plan.noise, rngs, local=plan.local_tumour)
        gone = death & (rday > day)  # euthanised at the end point before this readout: nothing to measure
        columns = {n: np.where(gone, np.nan, measured[n]) for n in names}
        parts.append(pa.table({"arm": _repeat(arm.name, len(animals)), "animal": pa.array(animals),
                               "day": pa.array(np.full(len(animals), float(rday))), **columns}))
    if not parts:
        return study_schemas(plan)["readouts"].empty_table()
    return _interleave(pa.concat_tables(parts), len(parts), len(animals))


def _interleave(table: pa.Table, days: int, animals: int) -> pa.Table:
    """Rows ordered by animal, then readout day (parts come one day after another)."""
    order = np.arange(days * animals).reshape(days, animals).T.ravel()
    return table.take(pa.array(order))


def _timecourses(arm: str, cohort, animals: np.ndarray, death_day: np.ndarray) -> pa.Table:
    """Daily values of each animal while it lives: NaN after the day it reached the humane end point."""
    times = cohort.times
    daily = np.flatnonzero(np.isclose(times, np.round(times)) & (times >= 0))
    values = cohort.values(TIMECOURSE_VARIABLES, daily)
    gone = times[daily][None, :] > death_day[:, None]
    for name in TIMECOURSE_VARIABLES:
        values[name] = np.where(gone, np.nan, values[name])
    n, k = len(animals), len(daily)
    return pa.table({"arm": _repeat(arm, n * k), "animal": pa.array(np.repeat(animals, k)),
                     "day": pa.array(np.tile(times[daily].astype(float), n)),
                     **{v: pa.array(values[v].ravel()) for v in TIMECOURSE_VARIABLES}})


def study_schemas(plan: StudyPlan) -> dict[str, pa.Schema]:
    """Column names and types of a study's four tables; readout units in the field metadata."""
    ids = [pa.field("arm", pa.string()), pa.field("animal", pa.int64())]
    day = pa.field("day", pa.float64())
    readouts = [pa.field(n, pa.float64(), metadata={"unit": UNITS[n]}) for n in readout_names(plan.local_tumour)]
    varied = plan.variability.varied(plan.model.parameters) if plan.variability.spread else ()
    return {
        "animals": pa.schema(ids[:1] + [pa.field("part", pa.string())] + ids[1:] + [pa.field("genotype", pa.string()),
                                    pa.field("status", pa.string()), pa.field("message", pa.string()),
                                    pa.field("survival_day", pa.float64()), pa.field("death", pa.bool_()),
                                    pa.field("tumour_free", pa.bool_()), pa.field("seed_key", pa.string())]),
        "readouts": pa.schema(ids + [day] + readouts),
        "timecourses": pa.schema(ids + [day] + [pa.field(v, pa.float64()) for v in TIMECOURSE_VARIABLES]),
        "parameters": pa.schema(ids + [pa.field(n, pa.float64(), metadata={"unit": plan.model.parameters[n].unit})
                                       for n in varied]),
    }


def _edits(base, variant) -> dict[str, float]:
    """Parameter values of ``variant`` that differ from ``base`` (an arm's own cell line)."""
    mine = variant.parameters.values()
    return {n: v for n, v in mine.items() if base.parameters.value(n) != v}


def _repeat(text: str, n: int) -> pa.Array:
    return pa.array([text], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


def _key(seeds) -> str:
    return f"{seeds.seed}:{','.join(map(str, seeds.spawn_key))}"


def study_provenance(plan: StudyPlan) -> dict:
    return {
        "study": plan.name,
        "model": plan.model.name,
        "model_hash": plan.model.hash,
        "seed": plan.seed,
        "paired": plan.paired,
        "arms": [a.name for a in plan.arms],
        "animals": plan.n_animals,
        "spec": plan.spec.model_dump(mode="json"),
        "animals_per_arm": {a.name: a.animals for a in plan.arms},
        "variability": {"spread": plan.variability.spread, "parameters": plan.variability.varied(plan.model.parameters),
                        "log_sd": dict(plan.variability.log_sd)},
        "measurement_noise": {"flow_events": plan.noise.flow_events, "assay_cv": plan.noise.assay_cv},
        "humane_endpoint": {"observable": plan.endpoint.observable, "above": plan.endpoint.above},
        "solver": plan.solver.__dict__,
        "engine": plan.engine,
        "parameters": plan.model.parameters.values(),
        "arm_models": {a.name: {"model_hash": a.model.hash, "edits": _edits(plan.model, a.model)}
                       for a in plan.arms if a.model is not None},
        **software_versions(),
        "created": utc_now(),
    }
