"""From a validated StudySpec and a model to a runnable StudyPlan, checking names against the model.

Errors name the field of the study file and the fix, e.g.
``arms[1].treatments[0].agent: unknown agent 'anti-foo'; known agents: anti-cd8, ...``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..cohorts import Variability
from ..errors import SpecError
from ..models import load_model, load_variability_table
from ..readouts import HumaneEndpoint, MeasurementNoise
from ..simulate import SolverOptions
from ..simulate.cohort import resolve_engine
from ..spec import Injection, Model, Protocol, Treatment
from ..spec.parameters import did_you_mean
from .spec import ArmSpec, StudySpec, TreatmentSpec

DEFAULT_ENDPOINTS = {False: ("tumour_burden", 1e9), True: ("tumour_volume", 1500.0)}


@dataclass(frozen=True)
class ArmPlan:
    name: str
    part: str
    protocol: Protocol
    animals: int
    readout_days: tuple[float, ...]
    description: str = ""
    model: Model | None = None  # the arm's own model variant (its own cell line); None: the study's


@dataclass(frozen=True)
class StudyPlan:
    """Everything needed to run a study: the study's model variant, arms, seeds and assays."""

    spec: StudySpec
    model: Model
    arms: tuple[ArmPlan, ...]
    variability: Variability
    noise: MeasurementNoise
    endpoint: HumaneEndpoint
    seed: int
    solver: SolverOptions = SolverOptions()
    engine: str = "batch"  # "batch" (numba: a chunk's animals at once) or "scipy"; see with_engine
    paired: bool = False   # True: animal i of every arm is the same virtual animal (common random numbers)

    def seed_group(self, arm: "ArmPlan") -> str:
        """The name animal seed streams are drawn under: the arm's, or one shared by all arms."""
        return "paired" if self.paired else arm.name

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def local_tumour(self) -> bool:
        return self.arms[0].protocol.injection.local

    @property
    def n_animals(self) -> int:
        return sum(a.animals for a in self.arms)

    def with_animals(self, animals: int) -> "StudyPlan":
        """The same study with ``animals`` per arm (e.g. a quick check with few animals)."""
        if animals < 1:
            raise SpecError(f"--animals: must be >= 1, got {animals}")
        spec = self.spec.model_copy(update={"animals_per_arm": animals,
                                            "arms": [a.model_copy(update={"animals": None}) for a in self.spec.arms]})
        return replace(self, spec=spec, arms=tuple(replace(a, animals=animals) for a in self.arms))

    def with_engine(self, engine: str) -> "StudyPlan":
        return replace(self, engine=resolve_engine(engine))

    def with_pairing(self, paired: bool = True) -> "StudyPlan":
        """The same study with animal i of every arm drawn from the same seed streams: arms differ
        only by what is done to them (for comparing effects without between-animal noise)."""
        return replace(self, paired=paired)

    def with_seed(self, seed: int) -> "StudyPlan":
        if seed < 0:
            raise SpecError(f"--seed: must be >= 0, got {seed}")
        return replace(self, spec=self.spec.model_copy(update={"seed": int(seed)}), seed=int(seed))


def plan_study(spec: StudySpec, model: Model | None = None) -> StudyPlan:
    model = _study_model(spec, model or load_model(spec.model))
    injection = Injection(spec.injection.cells, spec.injection.day, spec.injection.route)
    names = [a.name for a in spec.arms]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise SpecError(f"arms: arm names must be unique; {sorted(dupes)[0]!r} is used twice")
    arms = tuple(_plan_arm(spec, model, injection, i, arm) for i, arm in enumerate(spec.arms))
    variability = _variability(spec)
    variability.sigmas(model.parameters)  # names checked here, with the field in the message
    # the plan's spec (written as the run's study.yaml) holds the values used, not "the model's default"
    resolved = spec.variability.model_copy(update={"spread": variability.spread, "log_sd": dict(variability.log_sd)})
    spec = spec.model_copy(update={"variability": resolved})
    return StudyPlan(spec, model, arms, variability,
                     MeasurementNoise(spec.measurement_noise.flow_events, spec.measurement_noise.assay_cv),
                     _endpoint(spec, model, injection.local), spec.seed, engine=resolve_engine("auto"))


def _with_cell_line(model: Model, cell_line, where: str) -> Model:
    """``model`` with a cell line's properties (an engineered line may leave the parental range:
    the prior is widened to hold it, and its source says so)."""
    params = model.parameters
    for field, value in cell_line.model_dump(exclude={"name"}, exclude_none=True).items():
        name = model.cell_line_properties.get(field)
        if name is None:
            raise SpecError(f"{where}.{field}: this model has no such cell-line property")
        low, high = params[name].prior
        if not low <= value <= high:
            params = params.with_prior(name, min(low, value), max(high, value),
                                       f"{params[name].source}; range widened for cell line {cell_line.name}")
        params = params.replace({name: value})
    return model.with_parameter_set(params)


def _variability(spec: StudySpec) -> Variability:
    """The study's variability; what it leaves out comes from the model's variability table."""
    own = spec.variability
    table = load_variability_table(spec.model) if own.spread is None or own.log_sd is None else None
    return Variability(table.spread if own.spread is None else own.spread,
                       None if own.parameters == "all" else tuple(own.parameters),
                       tuple((table.log_sd if own.log_sd is None else own.log_sd).items()))


def _study_model(spec: StudySpec, model: Model) -> Model:
    params = _with_cell_line(model, spec.cell_line, "cell_line").parameters
    for name, value in spec.parameters.items():
        if name not in params:
            raise SpecError(f"parameters.{name}: unknown parameter{did_you_mean(name, params)}")
        low, high = params[name].prior
        if not low <= value <= high:
            raise SpecError(f"parameters.{name}: {value:g} is outside its prior range [{low:g}, {high:g}]")
        params = params.replace({name: value})
    return model.with_parameter_set(params)


def _plan_arm(spec: StudySpec, model: Model, injection: Injection, i: int, arm: ArmSpec) -> ArmPlan:
    where = f"arms[{i}]"
    follow_up = arm.follow_up if arm.follow_up is not None else spec.follow_up
    try:
        model.genotype(arm.genotype)
    except SpecError as exc:
        raise SpecError(f"{where}.genotype: {exc}") from None
    treatments = tuple(_treatment(model, f"{where}.treatments[{j}]", t, follow_up) for j, t in enumerate(arm.treatments))
    days_field = f"{where}.readout_days" if arm.readout_days is not None else "readout_days"
    readout_days = tuple(sorted(arm.readout_days if arm.readout_days is not None else spec.readout_days))
    for day in readout_days:
        if day > follow_up:
            raise SpecError(f"{days_field}: day {day:g} is after the end of follow-up (day {follow_up:g}); "
                            f"raise follow_up or pick an earlier day")
        if day <= injection.day:
            raise SpecError(f"{days_field}: day {day:g} is not after the injection (day {injection.day:g})")
    protocol = Protocol(model.genotype(arm.genotype).name, treatments, injection, follow_up)
    part = arm.part or ("tumour growth" if injection.local else "colonisation")
    own = _with_cell_line(model, arm.cell_line, f"{where}.cell_line") if arm.cell_line is not None else None
    return ArmPlan(arm.name, part, protocol, arm.animals or spec.animals_per_arm, readout_days, arm.description, own)


def _treatment(model: Model, where: str, spec: TreatmentSpec | str, follow_up: float) -> Treatment:
    try:
        t = Treatment.parse(spec) if isinstance(spec, str) else Treatment(spec.agent, spec.dose, tuple(spec.days), spec.route)
        agent = model.agent(t.agent)
    except SpecError as exc:
        field = "agent" if "unknown agent" in str(exc) else ""
        raise SpecError(f"{where}{'.' + field if field else ''}: {exc}") from None
    if t.route not in agent.routes:
        raise SpecError(f"{where}.route: {agent.name} cannot be given {t.route}; use {', '.join(agent.routes)}")
    late = [d for d in t.days if d > follow_up]
    if late:
        raise SpecError(f"{where}.days: day {late[0]:g} is after the end of follow-up (day {follow_up:g})")
    return Treatment(agent.name, t.amount, t.days, t.route)


def _endpoint(spec: StudySpec, model: Model, local: bool) -> HumaneEndpoint:
    default_observable, default_above = DEFAULT_ENDPOINTS[local]
    observable = spec.humane_endpoint.observable or default_observable
    known = {s.name for s in model.species} | {r.name for r in model.rules}
    if observable not in known:
        raise SpecError(f"humane_endpoint.observable: unknown observable {observable!r}{did_you_mean(observable, dict.fromkeys(known))}")
    return HumaneEndpoint(observable, spec.humane_endpoint.above or default_above)
