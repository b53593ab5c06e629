"""Would targets on simulated groups, instead of the typical animal, make the findings replicate?

Runs the calibration's MAP search (CMA-ES over the same searched parameters, chosen by the same
sensitivity floor, from the current defaults) with the targets on the median of ``--animals``
virtual animals spread as in the study (``calibration.objective.GroupSettings``; the calibration
CLI's ``--group-animals``). It then evaluates the targets at the defaults and at the group MAP,
for the typical animal and for 64 new animals, and the replication probability of F1-F9 at the
published design and at n = 20 and 50 per arm.

The group MAP is a search result, not a posterior: it is printed and saved (``--out``), never
written into the parameter table. A full calibration on groups costs about ``--animals`` times
the typical-animal run (docs/calibration.md).

    python benchmarks/group_targets_search.py --generations 300 --animals 16 --out group_map.json
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np

from immunomet.analysis.replication import replication_probability
from immunomet.calibration.identifiability import sensitivity_matrix
from immunomet.calibration.objective import GroupSettings
from immunomet.calibration.posterior import find_map
from immunomet.calibration.run import SEARCH_FLOOR, calibration_problem
from immunomet.studies import load_builtin, plan_study


def searched_parameters(plan) -> list[str]:
    """The calibration's search set: candidates moving the targets by SEARCH_FLOOR uncertainties."""
    full = calibration_problem(plan)
    norms = np.linalg.norm(sensitivity_matrix(full).to_numpy(), axis=0)
    return [n for n, v in zip(full.names, norms) if v >= SEARCH_FLOOR]


def weak_terms(problem, x) -> str:
    terms = problem.terms(x[None]).iloc[0]
    weak = ", ".join(f"{k} {v:.1f}" for k, v in terms.items() if v < -1.0)
    return f"log-likelihood {terms.sum():7.1f}; terms below -1: {weak}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--animals", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="group_map.json")
    args = parser.parse_args(argv)
    plan = plan_study(load_builtin("toyoshima2019"))
    names = searched_parameters(plan)
    problem = calibration_problem(plan, names, group_animals=args.animals)
    start = time.perf_counter()
    x0 = problem.defaults()
    x_map = find_map(problem, x0, args.generations, args.seed)
    print(f"{len(names)} parameters, {args.generations} generations of 32 x {args.animals} animals: "
          f"{time.perf_counter() - start:.0f} s; group log posterior {problem.log_posterior(x0[None])[0]:.1f} "
          f"-> {problem.log_posterior(x_map[None])[0]:.1f}")
    values = dict(zip(names, map(float, problem.to_values(x_map))))
    with open(args.out, "w") as f:
        json.dump(values, f, indent=1)
    new_animals = replace(problem, group=GroupSettings(64, plan.variability, seed=args.seed + 1))
    for label, p in (("typical animal", replace(problem, group=None)), ("64 new animals", new_animals)):
        for where, x in (("defaults", x0), ("group MAP", x_map)):
            print(f"{label:15s} {where:10s} {weak_terms(p, x)}")
    for where, model in (("defaults", plan.model), ("group MAP", plan.model.with_parameters(values))):
        rep = replication_probability(replace(plan, model=model), pool=1000, reps=400, sizes=(20, 50))
        table = rep.table.pivot(index="finding", columns="n", values="probability")
        print(f"\nreplication probability at the {where} (400 experiments from 1000 animals per arm):")
        print(table[["design", 20, 50]].round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
