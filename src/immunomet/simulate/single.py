"""``simulate``: one virtual animal, from a model and a protocol to a SimulationResult."""
from __future__ import annotations

import numpy as np

from ..spec import Model, Protocol
from .ode import SolverOptions
from .result import SimulationResult


def simulate(model: Model, protocol: Protocol | None = None, *, seed: int | np.random.SeedSequence = 0,
             options: SolverOptions | None = None, engine: str = "auto") -> SimulationResult:
    """Simulate one animal: the ODE for the immune state and mean tumour burden, then the
    closed-form colonisation statistics and a random draw of this animal's nodules.

    A cohort of one (``simulate_cohort``), seen as a SimulationResult. Solver failures do not
    raise: the result's ``status`` says how it failed and ``message`` why.
    """
    from .cohort import simulate_cohort

    return simulate_cohort(model, protocol or Protocol(), [seed], options=options, engine=engine)[0]


def describe_protocol(protocol: Protocol) -> str:
    parts = [f"{protocol.genotype}", f"{protocol.injection.cells:.3g} CT26 cells {protocol.injection.route} "
             f"on day {protocol.injection.day:g}"]
    for t in protocol.treatments:
        days = ",".join(f"{d:g}" for d in t.days)
        parts.append(f"{t.agent} {t.amount:g} ug {t.route} on day {days}")
    return "; ".join(parts) + f"; followed to day {protocol.days:g}"
