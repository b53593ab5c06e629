"""Per-animal views of a CohortResult: the pandas-backed SimulationResult, built on demand."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from ..provenance import software_versions, utc_now
from ..spec import Model, Protocol
from .result import SimulationResult
from .status import SolveStatus


def animal_view(cohort, i: int) -> SimulationResult:
    """Animal ``i`` of ``cohort``: species and observables from its first event on, its lineage
    statistics and nodule draw (None for a local tumour or a failed solve), and provenance."""
    c = cohort.compiled
    p = cohort.parameters[i]
    protocol = cohort.protocols[i]
    keep = cohort.times >= first_event(protocol)
    times, states = cohort.times[keep], cohort.states[i, keep, :].T
    species = pd.DataFrame(states.T, index=pd.Index(times, name="day"), columns=list(c.species_names))
    rules = c.rules(times, states, p[:, None])
    observables = pd.DataFrame({n: np.broadcast_to(v, times.shape) for n, v in zip(c.rule_names, rules)},
                               index=species.index)
    model = cohort.model
    units = {s.name: s.unit for s in model.species} | {r.name: r.unit for r in model.rules}
    status = SolveStatus.from_code(cohort.status[i])
    lineages = cohort.colonisation.lineage(i) if cohort.colonisation is not None and status.ok else None
    nodules = cohort.nodules_of(i) if lineages is not None else None
    provenance = animal_provenance(model, dict(zip(c.parameter_names, map(float, p))), protocol, cohort.seeds[i],
                                   cohort.options, cohort.engine)
    return SimulationResult(species, observables, units, status, cohort.messages[i], lineages, nodules, provenance,
                            (cohort, i))


def first_event(protocol: Protocol) -> float:
    """The day integration starts: day 0, or the first dose or injection if earlier."""
    days = [t for tr in protocol.treatments for t in tr.days]
    return min([0.0, protocol.injection.day, *days])


def animal_provenance(model: Model, parameters: dict, protocol: Protocol, seed, options, engine: str) -> dict:
    from .single import describe_protocol

    streamed = hasattr(seed, "spawn_key")  # a SeedSequence or a random.SeededStream
    entropy = seed.entropy if streamed else seed
    spawn_key = list(seed.spawn_key) if streamed else []
    return {
        "model": model.name,
        "model_hash": model.hash,
        **software_versions(),
        "created": utc_now(),
        "seed": entropy,
        "spawn_key": spawn_key,
        "protocol": asdict(protocol),
        "protocol_text": describe_protocol(protocol),
        "solver": asdict(options),
        "engine": engine,
        "parameters": parameters,
        "agent_keys": {a.name: a.concentration for a in (model.agent(t.agent) for t in protocol.treatments)
                       if a.concentration},
    }
