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
    species = pd.DataFrame(traj.out_states.T, index=pd.Index(traj.out_times, name="day"),
                           columns=list(compiled.species_names))
    rules = compiled.rules(traj.out_times, traj.out_states, p[:, None])
    observables = pd.DataFrame({n: np.broadcast_to(v, traj.out_times.shape) for n, v in zip(compiled.rule_names, rules)},
                               index=species.index)
    units = {s.name: s.unit for s in model.species} | {r.name: r.unit for r in model.rules}
    rng = animal_rng(seed)
    lineages, nodules = None, None
    col = model.colonisation
    if col is not None and traj.status == "success" and not protocol.injection.local:
        lineages, nodules = _colonise(compiled, p, params, traj, protocol, col, rng)
    provenance = _provenance(model, params, protocol, seed, options)
    return SimulationResult(species, observables, units, traj.status, traj.message, lineages, nodules, provenance)


def _colonise(compiled, p, params, traj, protocol, col, rng):
    start = protocol.injection.day
    keep = traj.grid_times >= start
    times = traj.grid_times[keep]
    values = compiled.rule_values(times, traj.grid_states[:, keep], p[:, None])
    stats = lineage_statistics(times, np.broadcast_to(values[col.birth_rule], times.shape),
                               np.broadcast_to(values[col.death_rule], times.shape))
    arrested = int(rng.binomial(int(round(protocol.injection.cells)), params.value(col.arrest_parameter)))
    nodules = sample_nodules(stats, protocol.days, arrested, params.value(col.visible_parameter), rng)
    return stats, nodules


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
