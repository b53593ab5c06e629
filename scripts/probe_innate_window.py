"""Probe, not the model: would a stronger, shorter innate window reconcile F1's liver weight?

Runs the calibration's CMA-ES MAP search (every calibration candidate, the calibration's targets on
the typical animal) with the priors of ``k_innate`` widened to 0.5-100/day and ``k_window`` to
0.2-20/day, from the current defaults and from a short, strong window (``k_innate`` 18.8,
``k_window`` 2). Prints each MAP's window, the targets' log-likelihood terms below -1 and the
target values. It changes no default: the prior that ships rests on sources
(docs/calibration.md, "A probe, then a sourced prior, then a new calibration").

    python scripts/probe_innate_window.py [--generations 600]      # about 7 minutes on 2 cores
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import immunomet as im
from immunomet.calibration.posterior import find_map
from immunomet.calibration.run import calibration_problem


def widened_problem():
    plan = im.plan_study(im.load_builtin("toyoshima2019"))
    params = plan.model.parameters
    params = params.with_prior("k_innate", 0.5, 100.0, params["k_innate"].source)
    params = params.with_prior("k_window", 0.2, 20.0, params["k_window"].source)
    return calibration_problem(plan, model=plan.model.with_parameter_set(params))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=600)
    args = parser.parse_args(argv)
    np.seterr(all="ignore")
    problem = widened_problem()
    names = list(problem.names)
    short = problem.defaults().copy()
    short[names.index("k_innate")], short[names.index("k_window")] = np.log10(18.8), np.log10(2.0)
    print(f"{len(names)} parameters searched")
    for label, start in (("from the defaults", problem.defaults()), ("from a short, strong window", short)):
        begin = time.perf_counter()
        x = find_map(problem, start, args.generations, 0)
        values = dict(zip(names, problem.to_values(x[None])[0]))
        terms = problem.terms(x[None]).iloc[0]
        targets = problem.target_values(x[None]).iloc[0]
        print(f"[{label}] {time.perf_counter() - begin:.0f} s; log posterior "
              f"{problem.log_posterior(start[None])[0]:.1f} -> {problem.log_posterior(x[None])[0]:.1f}; "
              f"k_innate {values['k_innate']:.3g}, k_window {values['k_window']:.3g}")
        print("  terms below -1:", {k: round(float(v), 2) for k, v in terms.items() if v < -1})
        print("  targets:", {k: round(float(v), 3) for k, v in targets.items()}, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
