"""Run a virtual trial: patients per arm on the patient model, relapse days, one table.

Each patient is independent given its seeds (``cohorts.patients``): the same seed gives the same
patients and relapses whatever the chunk size. By default (``paired``) every arm holds the same
virtual patients, so each arm's difference from control is the treatment's effect and not a
difference between patients; ``paired: false`` draws each arm's own patients, as randomisation
would. The power search draws independent patients per arm either way (``analysis.trials``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..cohorts import Variability
from ..cohorts.patients import HOST_IL6, LIVER_SEEDING, TUMOUR_IL6, Covariate, PatientPopulation
from ..errors import ImmunometError, SpecError
from ..jobs import Task, Tables, executor_for, run_job
from ..models import load_model
from ..provenance import software_versions, utc_now
from ..random import animal_rng
from ..readouts.relapse import Surveillance, relapse_days
from ..simulate import SolverOptions
from ..simulate.cohort import resolve_engine, simulate_cohort
from ..simulate.status import status_texts
from ..spec import Injection, Model, Protocol
from .job import ArmChunkedJob, check_individuals
from .trial_spec import TrialSpec, TrialTreatmentSpec

# rtol 1e-4: P(disease-free at 5 y) within 1e-5 of an rtol 1e-8 solution (20 patients, both engines),
# and 1.6x faster than 1e-6 on the scipy engine
PATIENT_SOLVER = SolverOptions(rtol=1e-4, output_step=7.0, rate_step=1.0)


@dataclass(frozen=True)
class TrialArm:
    name: str
    protocol: Protocol
    group: str  # the seed group its patients are drawn from


@dataclass(frozen=True)
class TrialPlan:
    name: str
    model: Model
    population: PatientPopulation
    arms: tuple[TrialArm, ...]
    seed: int
    patients_per_arm: int
    surveillance: Surveillance
    power: float = 0.8
    solver: SolverOptions = PATIENT_SOLVER
    engine: str = "auto"
    spec: dict = field(default_factory=dict)


def population_of(spec: TrialSpec) -> PatientPopulation:
    pop = spec.population
    return PatientPopulation(
        tumour_il6=_covariate(TUMOUR_IL6, pop.tumour_il6_sd_decades, pop.tumour_il6_median),
        liver_seeding=_covariate(LIVER_SEEDING, pop.liver_seeding_sd_decades, pop.liver_seeding_median),
        host_il6=_covariate(HOST_IL6, pop.host_il6_sd_decades, None),
        variability=Variability(spread=pop.spread), high_fraction=pop.il6_high_fraction,
        assay_sd_decades=pop.il6_assay_sd_decades, serum_day=pop.serum_day, serum_sd_decades=pop.serum_sd_decades)


def _covariate(default: Covariate, sd_decades: float, median: float | None) -> Covariate:
    """The default covariate with the trial's spread and median (its source kept where unchanged)."""
    source = default.source if sd_decades == default.sd_decades else "set in the trial's population"
    return Covariate(default.parameter, sd_decades, default.label, median, source)


def plan_trial(spec: TrialSpec, *, engine: str = "auto") -> TrialPlan:
    """Check the spec against the model (agents, parameters) and build the arms' protocols."""
    model = load_model(spec.model)
    try:
        model = model.with_parameters(spec.parameters)
    except ImmunometError as exc:
        raise SpecError(f"parameters: {exc}") from None
    arms = []
    for i, arm in enumerate(spec.arms):
        treatments = []
        for j, t in enumerate(arm.treatments):
            t = t if isinstance(t, TrialTreatmentSpec) else _shorthand(t, f"arms[{i}].treatments[{j}]")
            try:
                model.agent(t.agent)
                treatments.append(t.treatment())
            except ImmunometError as exc:
                raise SpecError(f"arms[{i}].treatments[{j}]: {exc}") from None
        try:
            protocol = Protocol("wt", tuple(treatments), Injection(cells=spec.disseminated_cells),
                                spec.follow_up_days)
        except SpecError as exc:
            raise SpecError(f"arms[{i}]: {exc}") from None
        arms.append(TrialArm(arm.name, protocol, "patients" if spec.paired else arm.name))
    return TrialPlan(spec.name, model, population_of(spec), tuple(arms), spec.seed, spec.patients_per_arm,
                     Surveillance(spec.scan_every), spec.power, engine=resolve_engine(engine),
                     spec=spec.model_dump(mode="json"))


def _shorthand(text: str, where: str) -> TrialTreatmentSpec:
    from ..spec import Treatment

    try:
        t = Treatment.parse(text)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
    return TrialTreatmentSpec(agent=t.agent, dose=t.amount, days=list(t.days), route=t.route)


DEFAULT_CHUNK = {"batch": 1000, "scipy": 25}  # patients per task


@dataclass(frozen=True)
class TrialJob(ArmChunkedJob):
    """Every patient of every arm of a trial, in chunks of one arm's patients (run core job)."""

    plan: TrialPlan
    chunk_size: int = 0  # 0: DEFAULT_CHUNK of the plan's engine

    kind = "trial"
    unit = "patient"
    default_chunk = DEFAULT_CHUNK

    def arm_sizes(self) -> list[int]:
        return [self.plan.patients_per_arm] * len(self.plan.arms)

    def check_size(self, allow_large: bool = False) -> None:
        check_individuals(self.plan.patients_per_arm * len(self.plan.arms), "patients_per_arm", "patients", allow_large)

    def run_task(self, task: Task, tick=None) -> Tables:
        a, start, stop = task.key
        return {"patients": simulate_patients(self.plan, self.plan.arms[a], start, stop)}

    def schemas(self) -> dict[str, pa.Schema]:
        return {"patients": PATIENT_SCHEMA}

    def describe(self) -> dict:
        return {"kind": self.kind, "spec": self.plan.spec, "engine": self.plan.engine, "chunk_size": self.chunk}

    def provenance(self) -> dict:
        return trial_provenance(self.plan) | {"chunk_size": self.chunk}

    def finish(self, tables: dict) -> "TrialResult":
        return TrialResult(tables["patients"], self.provenance())


PATIENT_SCHEMA = pa.schema([("arm", pa.string()), ("patient", pa.int64()), ("tumour_il6", pa.float64()),
                            ("tumour_il6_measured", pa.float64()), ("il6_stratum", pa.string()),
                            ("liver_seeding", pa.float64()), ("serum_il6", pa.float64()),
                            ("serum_il6_measured", pa.float64()), ("status", pa.string()), ("message", pa.string()),
                            ("dfs_day", pa.float64()), ("relapse", pa.bool_())])


def simulate_patients(plan: TrialPlan, arm: TrialArm, start: int, stop: int) -> pa.Table:
    """Patients ``start .. stop-1`` of one arm: simulated together, then each one's relapse day."""
    patients = plan.population.draw(plan.model, range(start, stop), plan.seed, arm.group)
    cohort = simulate_cohort(plan.model, arm.protocol, patients.colonisation_seeds, parameters=patients.parameters,
                             options=plan.solver, engine=plan.engine)
    rngs = [animal_rng(s) for s in patients.measurement_seeds]
    day, relapsed = relapse_days(cohort, rngs, plan.surveillance)
    serum = cohort.state_at(plan.population.serum_day)[:, cohort.compiled.species_index["il6"]]
    return pa.table({"arm": pa.array([arm.name] * len(patients), pa.string()), "patient": patients.index,
                     "tumour_il6": patients.tumour_il6, "tumour_il6_measured": patients.tumour_il6_measured,
                     "il6_stratum": pa.array(patients.il6_stratum.tolist(), pa.string()),
                     "liver_seeding": patients.liver_seeding, "serum_il6": serum,
                     "serum_il6_measured": plan.population.measured_serum(serum, patients.measurement_seeds),
                     "status": pa.array(status_texts(cohort.status), pa.string()),
                     "message": pa.array(list(cohort.messages), pa.string()), "dfs_day": day, "relapse": relapsed},
                    schema=PATIENT_SCHEMA)


def run_trial(plan: TrialPlan, *, chunk_size: int = 0, workers: int = 1, progress: bool = False,
              allow_large: bool = False) -> "TrialResult":
    """All patients of all arms, in chunks (the batched engine threads over each chunk; the scipy
    engine spreads chunks over ``workers`` processes). Results do not depend on either. More
    than 10^7 patients are refused unless ``allow_large``."""
    job = TrialJob(plan, chunk_size)
    job.check_size(allow_large)
    with executor_for(plan.engine, workers) as executor:
        return run_job(job, executor=executor, progress=progress, allow_large=allow_large)


def trial_provenance(plan: TrialPlan) -> dict[str, Any]:
    return {"trial": plan.name, "model": plan.model.name, "model_hash": plan.model.hash, "seed": plan.seed,
            "engine": plan.engine, "arms": [a.name for a in plan.arms], "paired": plan.arms[0].group == "patients",
            "patients": plan.patients_per_arm * len(plan.arms),
            "il6_cutoff": plan.population.il6_cutoff(plan.model), "il6_high_fraction": plan.population.high_fraction,
            "follow_up_days": plan.arms[0].protocol.days, "scan_every": plan.surveillance.scan_every,
            "power_target": plan.power, "spec": plan.spec, "parameters": plan.model.parameters.values(),
            "created": utc_now(), **software_versions()}


@dataclass
class TrialResult:
    """One row per patient: arm, covariates, IL-6 stratum, status, DFS day and relapse (True/False)."""

    patients: pd.DataFrame
    provenance: dict[str, Any]

    @property
    def arms(self) -> list[str]:
        return list(self.provenance.get("arms", pd.unique(self.patients["arm"])))

    def summary(self) -> pd.DataFrame:
        """Per arm and IL-6 stratum: patients, relapses, share relapsed by the end of follow-up."""
        ok = self.patients[self.patients["status"] == "success"]
        table = ok.groupby(["arm", "il6_stratum"], sort=False)["relapse"].agg(patients="size", relapses="sum")
        table["relapsed_%"] = 100 * table["relapses"] / table["patients"]
        return table.reset_index()

    def __str__(self) -> str:
        failed = int((self.patients["status"] != "success").sum())
        head = (f"TrialResult {self.provenance.get('trial', '')}: {len(self.patients)} patients, "
                f"{len(self.arms)} arms, {failed} failed")
        return head + "\n" + self.summary().to_string(index=False, float_format=lambda v: f"{v:.1f}")

    def save(self, directory: str | Path) -> Path:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.patients.to_parquet(out / "patients.parquet", index=False)
        (out / "provenance.json").write_text(json.dumps(self.provenance, indent=1, default=str))
        return out

    @classmethod
    def load(cls, directory: str | Path) -> "TrialResult":
        path = Path(directory)
        return cls(pd.read_parquet(path / "patients.parquet"), json.loads((path / "provenance.json").read_text()))
