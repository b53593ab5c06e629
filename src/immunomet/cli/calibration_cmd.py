"""``immunomet sensitivity``: global sensitivity of readouts to parameters (SALib); ``immunomet fit
FOLDER``: the model fitted to own data (PEtab-like tables), with profile-likelihood CIs."""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..calibration import READOUTS, Scenario, run_sensitivity
from ..models import load_model
from ..spec import Treatment
from ._args import nonnegative_int, output_folder, positive_float, positive_int


def register(sub) -> None:
    p = sub.add_parser("sensitivity", help="global sensitivity of readouts to parameters (SALib Sobol or Morris)",
                       description="Sample parameters from their priors (log-uniform), simulate one scenario on the "
                                   "batched engine, and rank parameters by Sobol total-order index or Morris mu* for "
                                   "each readout: " + "; ".join(f"{k}: {v}" for k, v in READOUTS.items()) + ".")
    p.add_argument("--method", choices=["morris", "sobol"], default="morris",
                   help="morris (default; (P+1) x N simulations) or sobol ((P+2) x N)")
    p.add_argument("--n", type=positive_int, default=None, help="Morris trajectories (default 20) or Sobol base "
                   "samples (default 256; a power of 2)")
    p.add_argument("--parameters", default=None, help="comma-separated subset (default: every parameter that varies)")
    p.add_argument("--readouts", default=",".join(READOUTS), help="comma-separated readouts (default all four)")
    p.add_argument("--model", default="mouse")
    p.add_argument("--genotype", default="wt")
    p.add_argument("--treat", action="append", default=[], metavar="AGENT:DOSE@dDAYS",
                   help="a treatment, e.g. anti-pdl1:200ug@d8,d11 (repeatable)")
    p.add_argument("--cells", type=positive_float, default=1e5)
    p.add_argument("--readout-day", type=positive_float, default=21.0)
    p.add_argument("--follow-up", type=positive_float, default=60.0)
    p.add_argument("--top", type=positive_int, default=15, help="parameters shown per readout")
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/sensitivity-TIME)")
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=sensitivity)

    p = sub.add_parser("fit", help="fit the model to your own data (PEtab-like tables): estimates, profile CIs, plot",
                       description="Fit parameters to measurements given as four tab-separated tables in FOLDER "
                                   "(conditions, observables, measurements, parameters; see docs/calibration.md and "
                                   "examples/own_data/synthetic): maximum likelihood from several starts, 95% "
                                   "profile-likelihood intervals, and a plot of data, fit and profiles.")
    p.add_argument("folder", type=Path, metavar="FOLDER")
    p.add_argument("--starts", type=positive_int, default=5, help="optimiser starts (default 5: nominal + 4 LHS)")
    p.add_argument("--no-profiles", action="store_true", help="skip the profile likelihoods (no CIs)")
    p.add_argument("--lint", action="store_true", help="only check the tables; list every problem")
    p.add_argument("--model", default="mouse")
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/fit-TIME)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=fit)


def _list(text: str | None):
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def sensitivity(args: argparse.Namespace) -> int:
    from ..report.sensitivity_figures import sensitivity_figure

    model = load_model(args.model)
    scenario = Scenario(args.genotype, tuple(Treatment.parse(t) for t in args.treat), args.cells, args.readout_day,
                        args.follow_up)
    model.resolve(scenario.protocol())  # unknown genotype or agent: one error line before any simulation
    n = args.n or (256 if args.method == "sobol" else 20)
    result = run_sensitivity(model, scenario, parameters=_list(args.parameters), readouts=_list(args.readouts),
                             method=args.method, n=n, seed=args.seed, engine=args.engine, progress=not args.quiet)
    out = output_folder(args.out, "sensitivity")
    result.long().to_csv(out / "indices.csv", index=False)
    sensitivity_figure(result, args.top).savefig(out / "sensitivity.png", dpi=100)
    with pd.option_context("display.width", 250):
        print(f"{result.method}: {result.problem['num_vars']} parameters, {len(result.X)} simulations; "
              f"{scenario.describe()}")
        print(result.ranked(args.top).to_string())
    print(f"\nfolder: {out}")
    return 0


def fit(args: argparse.Namespace) -> int:
    from ..calibration.fitter import Fitter
    from ..calibration.own_data import lint, load_problem, read_tables

    model = load_model(args.model)
    if args.lint:
        issues = lint(read_tables(args.folder), model)
        print("\n".join(issues) if issues else f"{args.folder}: no problems found")
        return 1 if issues else 0
    fitter = Fitter(load_problem(args.folder, model), args.engine).fit(args.starts, args.seed,
                                                                      profiles=not args.no_profiles,
                                                                      progress=not args.quiet)
    out = fitter.save(output_folder(args.out, "fit"))
    fitter.plot().savefig(out / "fit.png", dpi=100)
    print(fitter)
    print(f"\nfolder: {out}")
    return 0 if fitter.status == "converged" else 1
