"""Probe, not the model: would clones that differ in how well CD8 cells kill them lift the Il6-/-
floor of F7 and make F3 hold in the population (docs/calibration.md, "what would not fix it")?

Each arm of the built-in study is simulated as the study does (same seeds, same animal-to-animal
spread). Then, keeping every animal's trajectory, each seeded lineage's CD8 kill rate is scaled
by z ~ log-normal with median 1 and SD ``sigma`` decades (12-point Gauss-Hermite quadrature), and
Kendall's closed form gives each animal's expected visible nodules on the readout day. The mean
field (antigen, IL-6, the effector:target ratio) is left as the model computed it, so this is a
first-order probe of the idea, not a model variant.

    python scripts/probe_lineage_heterogeneity.py --animals 200 --sigmas 0 0.5 1
"""
from __future__ import annotations

import argparse

import numpy as np

from immunomet.cohorts.animals import animal_seeds_many
from immunomet.random import animal_rng
from immunomet.simulate.cohort import simulate_cohort
from immunomet.simulate.colonization import kendall_logs_numpy, visible_probability
from immunomet.studies import load_builtin, plan_study


def arm_rates(plan, arm, animals: int):
    """(times, birth, death, CD8 kill, arrested, visibility threshold, readout index) of one arm."""
    model = arm.model or plan.model
    compiled = model.compile()
    seeds = animal_seeds_many(plan.seed, arm.name, range(animals))
    names, values = plan.variability.draw(model.parameters, [animal_rng(s.parameters) for s in seeds])
    matrix = np.tile(compiled.parameter_vector(model.parameters), (animals, 1))
    matrix[:, [compiled.parameter_index[n] for n in names]] = values
    cohort = simulate_cohort(model, arm.protocol, [s.colonisation for s in seeds], parameters=matrix,
                             options=plan.solver, engine=plan.engine)
    keep = cohort.times >= arm.protocol.injection.day
    times = cohort.times[keep]
    rules = [compiled.rule_values(times, cohort.states[a][keep].T, cohort.parameters[a][:, None])
             for a in range(animals)]
    rate = {r: np.array([np.broadcast_to(v[r], times.shape) for v in rules])
            for r in ("tumour_birth_per_cell", "tumour_death_per_cell", "cd8_kill_per_cell")}
    readout = int(np.searchsorted(times, arm.protocol.injection.day + arm.readout_days[0]))
    col = cohort.colonisation
    return times, rate, col.arrested, col.visible_threshold, readout


def expected_visible(times, rate, arrested, threshold, readout, sigma: float) -> np.ndarray:
    nodes, weights = np.polynomial.hermite_e.hermegauss(12) if sigma else (np.zeros(1), np.ones(1))
    weights = weights / weights.sum()
    birth, death, kill = rate["tumour_birth_per_cell"], rate["tumour_death_per_cell"], rate["cd8_kill_per_cell"]
    total = np.zeros(len(arrested))
    for x, w in zip(nodes, weights):
        log_alive, log_mean = kendall_logs_numpy(times, birth, death + (10 ** (sigma * x) - 1.0) * kill)
        alive, mean_alive = np.exp(log_alive[:, readout]), np.exp(log_mean[:, readout] - log_alive[:, readout])
        total += w * alive * visible_probability(mean_alive, threshold)
    return arrested * total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--animals", type=int, default=200)
    parser.add_argument("--sigmas", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    args = parser.parse_args(argv)
    plan = plan_study(load_builtin("toyoshima2019"))
    print("expected visible nodules per animal on the readout day: median [10%-90%] over animals")
    print(f"{'arm':32s}" + "".join(f"{'sigma ' + format(s, 'g'):>24s}" for s in args.sigmas))
    for arm in plan.arms:
        if arm.part == "survival":
            continue
        rates = arm_rates(plan, arm, args.animals)
        cells = []
        for sigma in args.sigmas:
            v = expected_visible(*rates, sigma)
            cells.append(f"{np.median(v):6.1f} [{np.quantile(v, 0.1):5.1f}-{np.quantile(v, 0.9):5.1f}]")
        print(f"{arm.name:32s}" + "".join(f"{c:>24s}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
