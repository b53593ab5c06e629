"""``simulate_cohort``: many animals of one model structure, as arrays, on the batched engine or scipy.

Each animal is a row of a parameter matrix (its own values for the model's parameters) with its
own colonisation seed stream. ``engine="batch"`` integrates all rows at once with the compiled
numba engine; ``"scipy"`` integrates them one by one with ``solve_ivp`` (the reference);
``"auto"`` is the batched engine. Either way the result is one ``CohortResult``.
"""
from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from ..errors import SpecError
from ..random import animal_rng
from ..spec import Model, Protocol
from .batch import STATUS, BatchEngine, numba_available
from .cohort_result import Colonisation, CohortResult, draw_arrested
from .colonization import kendall_logs
from .doses import dose_table
from .ode import SolverOptions, _grid, integrate
from .status import SolveStatus

ENGINES = ("auto", "batch", "scipy")
_ENGINES: dict[tuple, BatchEngine] = {}
_ENGINES_LOCK = threading.Lock()
_BATCH_STATUS = {code: SolveStatus(text.removeprefix("failed: ")) for code, text in STATUS.items()}


def resolve_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise SpecError(f"engine {engine!r} unknown; use one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "batch" if numba_available() else "scipy"
    return engine


def batch_engine(model: Model) -> BatchEngine:
    """The compiled batched engine of a model structure (cached per process)."""
    col = model.colonisation
    selected = (col.birth_rule, col.death_rule) if col else ()
    key = (model.structure_hash, selected)
    with _ENGINES_LOCK:  # pool threads asking at once build (and write the kernel file) once
        if key not in _ENGINES:
            _ENGINES[key] = BatchEngine(model, selected)
    return _ENGINES[key]


def parameter_matrix(models: Sequence[Model]) -> np.ndarray:
    """(animals, parameters): the values of models sharing one structure, one row per model."""
    structure = models[0].structure_hash
    if any(m.structure_hash != structure for m in models):
        raise SpecError("simulate_cohort: every model of a cohort must share one structure (a variant is a "
                        "parameter edit)")
    compiled = models[0].compile()
    return np.array([[m.parameters[n].value for n in compiled.parameter_names] for m in models], dtype=float)


def bytes_per_animal(model: Model, protocol: Protocol, options: SolverOptions | None = None) -> int:
    """Memory one animal of ``protocol`` takes in a CohortResult and while it is computed: states at
    the output times, and colonisation rates and statistics on the fine grid."""
    from .views import first_event

    options = options or SolverOptions()
    outputs = (protocol.days - first_event(protocol)) / options.output_step + 2
    fine = (protocol.days - protocol.injection.day) / options.rate_step + 2
    return int(8 * (outputs * (len(model.species) + 1) + 4 * fine))


def parameter_rows(model: Model, names, values: np.ndarray, *, check: bool = True) -> np.ndarray:
    """(rows, parameters): the model's values with columns ``names`` set to ``values`` (rows x
    names), checked against each parameter's prior range (a value outside it names the parameter)."""
    compiled = model.compile()
    values = np.atleast_2d(np.asarray(values, dtype=float))
    matrix = np.tile(compiled.parameter_vector(model.parameters), (len(values), 1))
    for k, name in enumerate(names):
        column = values[:, k]
        if check:
            low, high = model.parameters[name].prior
            bad = ~((column >= low) & (column <= high))
            if bad.any():
                raise SpecError(f"parameter {name!r}: value {column[bad][0]:g} must lie in its prior range "
                                f"[{low:g}, {high:g}]")
        matrix[:, compiled.parameter_index[name]] = column
    return matrix


def simulate_cohort(model: Model | Sequence[Model], protocol: Protocol | Sequence[Protocol], seeds: Sequence, *,
                    parameters: np.ndarray | None = None, options: SolverOptions | None = None,
                    engine: str = "auto") -> CohortResult:
    """Simulate ``len(seeds)`` animals.

    ``model`` is the cohort's model; each animal's values are the rows of ``parameters``
    (animals x parameters, in ``model.compile().parameter_names`` order; default: the model's own
    values for every animal). A list of models (one per animal, one structure) is accepted too.
    ``protocol`` is one protocol for all, or one per animal (the same injection and follow-up,
    e.g. candidate dosing schedules run together). ``seeds[i]`` is animal i's colonisation stream.
    """
    options = options or SolverOptions()
    if not isinstance(model, Model):
        models = list(model)
        if parameters is not None or not models:
            raise SpecError("simulate_cohort: give a model and a parameter matrix, or a non-empty list of models")
        model, parameters = models[0], parameter_matrix(models)
    n = len(seeds)
    compiled = model.compile()
    if parameters is None:
        parameters = np.tile(compiled.parameter_vector(model.parameters), (n, 1))
    parameters = np.array(parameters, dtype=float, copy=True)
    if parameters.shape != (n, len(compiled.parameter_names)):
        raise SpecError(f"simulate_cohort: parameters must be ({n}, {len(compiled.parameter_names)}), "
                        f"got {parameters.shape}")
    protocols = (protocol,) * n if isinstance(protocol, Protocol) else tuple(protocol)
    if len(protocols) != n or len({(p.injection, p.days) for p in protocols}) > 1:
        raise SpecError("simulate_cohort: give one protocol, or one per animal with the same injection and follow-up")
    if n == 0:
        raise SpecError("simulate_cohort: a cohort needs at least one animal")
    _apply_genotypes(model, protocols, parameters)
    doses = dose_table(model, protocols, parameters)
    first = protocols[0]
    t0 = min(0.0, doses.first_day())
    times = _grid(t0, first.days, options.output_step)
    colonise = model.colonisation is not None
    fine_t = _grid(first.injection.day, first.days, options.rate_step) if colonise else np.zeros(0)
    engine = resolve_engine(engine)
    run = _run_batch if engine == "batch" else _run_scipy
    states, rates, status, messages = run(model, parameters, doses, first.days, times, fine_t, options)
    colonisation = _colonisation(model, first, parameters, fine_t, rates, status, seeds) if colonise else None
    return CohortResult(model, protocols, parameters, times, states, status, tuple(messages), colonisation,
                        tuple(seeds), options, engine)


def _apply_genotypes(model: Model, protocols: tuple[Protocol, ...], parameters: np.ndarray) -> None:
    """Set each animal's protocol edits (genotype, tumour site) in its parameter row (in place)."""
    index = model.compile().parameter_index
    groups: dict[tuple, list[int]] = {}
    for i, protocol in enumerate(protocols):
        groups.setdefault((protocol.genotype, protocol.injection.local), []).append(i)
    for (_, _), rows in groups.items():
        for name, value in model.protocol_edits(protocols[rows[0]]).items():
            parameters[rows, index[name]] = value


def _run_batch(model, parameters, doses, days, times, fine_t, options):
    run = batch_engine(model).run(parameters, doses, days, times, fine_t, rtol=options.rtol, atol=options.atol,
                                  atol_cells=options.atol_cells, max_steps=options.max_rhs_evaluations)
    codes = np.full(len(run.status), SolveStatus.SOLVER_FAILED.code, dtype=np.int8)
    for engine_code, status in _BATCH_STATUS.items():
        codes[run.status == engine_code] = status.code
    messages = [""] * len(run.status)
    for a in np.flatnonzero(run.status != 0):
        messages[a] = f"{run.status_text(a)} (batched engine)"
    return run.states, run.rates, codes, messages


def _run_scipy(model, parameters, doses, days, times, fine_t, options):
    compiled = model.compile()
    col = model.colonisation
    n = len(parameters)
    states = np.full((n, len(times), len(compiled.species_names)), np.nan)
    rates = np.full((n, len(fine_t), 2), np.nan)
    codes = np.zeros(n, dtype=np.int8)
    messages = []
    for a in range(n):
        p = parameters[a]
        traj = integrate(compiled, p, doses.animal(a, compiled.species_names), days, options, compiled.cell_species,
                         times, fine_t)
        states[a] = traj.out_states.T
        codes[a] = traj.status.code
        messages.append(traj.message)
        if len(fine_t) and traj.status.ok:
            values = compiled.rule_values(fine_t, traj.grid_states, p[:, None])
            rates[a, :, 0] = np.broadcast_to(values[col.birth_rule], fine_t.shape)
            rates[a, :, 1] = np.broadcast_to(values[col.death_rule], fine_t.shape)
    return states, rates, codes, messages


def _colonisation(model: Model, protocol: Protocol, parameters, fine_t, rates, status, seeds) -> Colonisation:
    """Kendall's lineage statistics of every animal and its seeded cells (arrested in the liver, or
    taken at a local site: the first draw of its colonisation stream; a view continues that
    stream for its nodule draw)."""
    ok = status == SolveStatus.SUCCESS.code
    if ok.all():  # the usual case: no copies of the rate arrays
        log_survival, log_mean_size = kendall_logs(fine_t, rates[:, :, 0], rates[:, :, 1])
    else:
        log_survival = np.full((len(parameters), len(fine_t)), np.nan)
        log_mean_size = np.full_like(log_survival, np.nan)
        if ok.any():
            log_survival[ok], log_mean_size[ok] = kendall_logs(fine_t, rates[ok, :, 0], rates[ok, :, 1])
    index = model.compile().parameter_index
    share = parameters[:, index[model.injection_share_parameter(protocol.injection)]]
    arrested = np.array([draw_arrested(animal_rng(s), protocol.injection.cells, share[i]) for i, s in enumerate(seeds)],
                        dtype=np.int64)
    visible = parameters[:, index[model.colonisation.visible_parameter]].copy()
    return Colonisation(fine_t, log_survival, log_mean_size, arrested, visible)
