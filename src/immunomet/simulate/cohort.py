"""``simulate_cohort``: many animals under one protocol, on the batched engine or the scipy loop.

Each animal is a model variant (the same structure, its own parameter values) with its own seed.
``engine="batch"`` integrates all of them at once with the numba engine; ``"scipy"`` loops over
``simulate``; ``"auto"`` takes the batched engine when numba is installed. Either way the result
is one ``SimulationResult`` per animal, with the same colonisation draw and provenance code.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import SpecError
from ..spec import Model, Protocol
from .batch import STATUS, BatchEngine, numba_available
from .ode import SolverOptions, _grid
from .result import SimulationResult
from .single import assemble_result, simulate

ENGINES = ("auto", "batch", "scipy")
_ENGINES: dict[tuple, BatchEngine] = {}


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
    if key not in _ENGINES:
        _ENGINES[key] = BatchEngine(model, selected)
    return _ENGINES[key]


def simulate_cohort(models: Sequence[Model], protocol: Protocol | Sequence[Protocol], seeds: Sequence, *,
                    options: SolverOptions | None = None, engine: str = "auto") -> list[SimulationResult]:
    """One result per animal; ``models[i]`` holds animal i's parameters, ``seeds[i]`` its stream.
    ``protocol`` is one protocol for all, or one per animal (the same injection and follow-up,
    e.g. candidate dosing schedules run together)."""
    options = options or SolverOptions()
    if len(models) != len(seeds):
        raise ValueError(f"{len(models)} models for {len(seeds)} seeds")
    protocols = [protocol] * len(models) if isinstance(protocol, Protocol) else list(protocol)
    if len(protocols) != len(models) or len({(p.injection, p.days) for p in protocols}) > 1:
        raise SpecError("simulate_cohort: give one protocol, or one per animal with the same injection and follow-up")
    if resolve_engine(engine) == "scipy" or not models:
        return [simulate(m, p, seed=s, options=options) for m, p, s in zip(models, protocols, seeds)]
    protocol = protocols[0]
    eng = batch_engine(models[0])
    compiled = eng.compiled
    resolved = [m.resolve(p) for m, p in zip(models, protocols)]
    params = np.stack([compiled.parameter_vector(ps) for ps, _ in resolved])
    doses = [d for _, d in resolved]
    t0 = min([0.0, *(d.day for dd in doses for d in dd)])
    out_t = _grid(t0, protocol.days, options.output_step)
    colonise = models[0].colonisation is not None and not protocol.injection.local
    fine_t = _grid(protocol.injection.day, protocol.days, options.rate_step) if colonise else np.zeros(0)
    run = eng.run(params, doses, protocol.days, out_t, fine_t, rtol=options.rtol, atol=options.atol,
                  atol_cells=options.atol_cells, max_steps=options.max_rhs_evaluations)
    results = []
    for a, (model, seed) in enumerate(zip(models, seeds)):
        ok = run.status[a] == 0
        rates = (fine_t, run.rates[a, :, 0], run.rates[a, :, 1]) if colonise and ok else None
        message = "" if ok else f"{STATUS.get(int(run.status[a]), 'failed')} (batched engine)"
        results.append(assemble_result(model, resolved[a][0], protocols[a], out_t, run.states[a].T,
                                       "success" if ok else "failed", message, rates, seed,
                                       options))
    return results
