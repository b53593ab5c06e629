"""``simulate``: one virtual animal, from a model and a protocol to a SimulationResult."""
from __future__ import annotations

import platform
from dataclasses import asdict
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .. import __version__
from ..random import animal_rng
from ..spec import Model, Protocol
from .colonization import lineage_statistics, sample_nodules
from .ode import SolverOptions, integrate
from .result import SimulationResult


def simulate(model: Model, protocol: Protocol | None = None, *, seed: int | np.random.SeedSequence = 0,
             options: SolverOptions | None = None) -> SimulationResult:
    """Simulate one animal: the ODE for the immune state and mean tumour burden, then the
    closed-form colonisation statistics and a random draw of this animal's nodules.

    Solver failures do not raise: the result's ``status`` is "failed" and ``message`` says why.
    """
    protocol = protocol or Protocol()
    options = options or SolverOptions()
    compiled = model.compile()
    params, doses = model.resolve(protocol)
    p = compiled.parameter_vector(params)
    traj = integrate(compiled, p, doses, protocol.days, options, compiled.cell_species)
    rates = None
    col = model.colonisation
    if col is not None and traj.status == "success" and not protocol.injection.local:
        keep = traj.grid_times >= protocol.injection.day
        values = compiled.rule_values(traj.grid_times[keep], traj.grid_states[:, keep], p[:, None])
        rates = (traj.grid_times[keep], values[col.birth_rule], values[col.death_rule])
    return assemble_result(model, params, protocol, traj.out_times, traj.out_states, traj.status, traj.message,
                           rates, seed, options)


def assemble_result(model: Model, params, protocol: Protocol, out_times, out_states, status: str, message: str,
                    rates, seed, options) -> SimulationResult:
    """Tables, colonisation draw and provenance from one animal's integrated states, whatever
    engine produced them. ``rates`` is (times, birth, death) per cell from the injection on, or None."""
    compiled = model.compile()
    p = compiled.parameter_vector(params)
    species = pd.DataFrame(out_states.T, index=pd.Index(out_times, name="day"), columns=list(compiled.species_names))
    rules = compiled.rules(out_times, out_states, p[:, None])
    observables = pd.DataFrame({n: np.broadcast_to(v, out_times.shape) for n, v in zip(compiled.rule_names, rules)},
                               index=species.index)
    units = {s.name: s.unit for s in model.species} | {r.name: r.unit for r in model.rules}
    lineages, nodules = None, None
    if rates is not None:
        times, birth, death = rates
        lineages = lineage_statistics(times, np.broadcast_to(birth, times.shape), np.broadcast_to(death, times.shape))
        rng = animal_rng(seed)
        col = model.colonisation
        arrested = int(rng.binomial(int(round(protocol.injection.cells)), params.value(col.arrest_parameter)))
        nodules = sample_nodules(lineages, protocol.days, arrested, params.value(col.visible_parameter), rng)
    provenance = _provenance(model, params, protocol, seed, options)
    return SimulationResult(species, observables, units, status, message, lineages, nodules, provenance)


def software_versions() -> dict[str, str]:
    """Versions that can change a result, for provenance records."""
    import scipy

    return {"immunomet_version": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "pandas": pd.__version__}


def _provenance(model: Model, params, protocol: Protocol, seed, options: SolverOptions) -> dict:
    entropy = seed.entropy if isinstance(seed, np.random.SeedSequence) else seed
    spawn_key = list(seed.spawn_key) if isinstance(seed, np.random.SeedSequence) else []
    return {
        "model": model.name,
        "model_hash": model.hash,
        **software_versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seed": entropy,
        "spawn_key": spawn_key,
        "protocol": asdict(protocol),
        "protocol_text": describe_protocol(protocol),
        "solver": asdict(options),
        "parameters": params.values(),
        "agent_keys": _agent_concentration_rules(model, protocol),
    }


def _agent_concentration_rules(model: Model, protocol: Protocol) -> dict[str, str]:
    """For plotting: the plasma-concentration rule of each dosed agent, where the model has one."""
    agents = (model.agent(t.agent) for t in protocol.treatments)
    return {a.name: a.concentration for a in agents if a.concentration}


def describe_protocol(protocol: Protocol) -> str:
    parts = [f"{protocol.genotype}", f"{protocol.injection.cells:.3g} CT26 cells {protocol.injection.route} "
             f"on day {protocol.injection.day:g}"]
    for t in protocol.treatments:
        days = ",".join(f"{d:g}" for d in t.days)
        parts.append(f"{t.agent} {t.amount:g} ug {t.route} on day {days}")
    return "; ".join(parts) + f"; followed to day {protocol.days:g}"
