"""``immunomet calibrate`` (a plausible population: parameter sets for which the findings hold) and
``immunomet predict STUDY`` (a study run over that population, with prediction bands)."""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..studies import builtin_studies, load_builtin, load_study_file, plan_study
from ._args import nonnegative_int, output_folder, positive_int


def register(sub) -> None:
    p = sub.add_parser("calibrate", help="a plausible population: parameter sets within the priors for which the "
                                         "findings hold",
                       description="Sample parameter sets within their priors (log-uniform) and keep those for "
                                   "which the required findings hold (checklist tests, or effect directions only) "
                                   "in a paired virtual replicate of the built-in study (--animals per arm, the "
                                   "study's seed). Random-"
                                   "walk chains from the defaults (--chains, --steps) and/or independent prior "
                                   "draws (--prior-draws). Reports acceptance rates, posterior ranges, which "
                                   "parameters the findings pin down, and how often a published-size study "
                                   "reproduces each finding (F1-F9) in plausible sets (--robustness).")
    p.add_argument("--parameters", default=None, help="comma-separated parameters to vary (default: the 27 whose "
                   "defaults were calibrated; see docs/parameters.md)")
    p.add_argument("--required", default="F1,F2,F3,F4,F5,F6,F7", help="findings a set must hold (default F1-F7)")
    p.add_argument("--animals", type=positive_int, default=20, help="animals per arm of the replicate (default 20)")
    p.add_argument("--criterion", choices=["tested", "direction"], default="tested",
                   help="tested (default): each finding passes the checklist's tests in the replicate; direction: "
                        "only its effect estimates point the paper's way")
    p.add_argument("--chains", type=nonnegative_int, default=2)
    p.add_argument("--steps", type=positive_int, default=200, help="steps per chain (default 200)")
    p.add_argument("--burn-in", type=nonnegative_int, default=50, help="steps dropped per chain (default 50)")
    p.add_argument("--prior-draws", type=nonnegative_int, default=0, help="independent prior draws to screen")
    p.add_argument("--robustness", type=nonnegative_int, default=30,
                   help="plausible sets run at published size to test each finding (default 30; 0: skip)")
    p.add_argument("--patients", type=nonnegative_int, default=200, help="patients per set for F8 (0: skip F8)")
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--workers", type=positive_int, default=1, help="processes (one chain each)")
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/calibrate-TIME)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=calibrate)

    p = sub.add_parser("predict", help="run a study over a plausible population: prediction bands",
                       description="Run a study (built-in name or YAML) once per plausible set of a calibration "
                                   "folder and report, per arm and readout, the default set's value and the "
                                   "plausible sets' median and 5-95% band.")
    p.add_argument("study", metavar="STUDY", help=f"study YAML or built-in name ({', '.join(builtin_studies())})")
    p.add_argument("--population", type=Path, required=True, help="folder written by 'immunomet calibrate'")
    p.add_argument("--sets", type=positive_int, default=20, help="plausible sets to run (default 20)")
    p.add_argument("--animals", type=positive_int, default=None, help="animals per arm (overrides the study)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="which sets are picked")
    p.add_argument("--workers", type=positive_int, default=1)
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/predict-TIME)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=predict)


def _list(text: str | None):
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def calibrate(args: argparse.Namespace) -> int:
    from ..calibration.over_population import robustness, robustness_summary
    from ..calibration.plausible import ChainSettings, PlausibilityCheck, calibrate as run_calibration
    from ..report.calibration_figures import population_figure

    check = PlausibilityCheck.default(args.animals, args.engine, tuple(_list(args.required)),
                                      significance=args.criterion == "tested")
    settings = ChainSettings(steps=args.steps, burn_in=min(args.burn_in, args.steps - 1))
    population = run_calibration(check, _list(args.parameters), prior_draws=args.prior_draws, chains=args.chains,
                                 settings=settings, seed=args.seed, workers=args.workers, progress=not args.quiet)
    out = population.save(output_folder(args.out, "calibrate"))  # kept even if the robustness runs fail
    if args.robustness and len(population.samples()):
        population.robustness = robustness(population, args.robustness, seed=args.seed, engine=args.engine,
                                           patients=args.patients, progress=not args.quiet)
        population.save(out)
    _catalogue(out, population, check.plan.n_animals)
    population_figure(population, population.robustness).savefig(out / "calibration.png", dpi=100)
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.float_format", "{:.3g}".format):
        print(population)
        print("\nfindings' pass rates\n" + population.finding_pass_rates().to_string(index=False))
        print("\nparameters (plausible 5-95% range; range_share: share of the prior's log10 width; "
              "ess: effective sample size; rhat: split R-hat)\n"
              + population.posterior().drop(columns=["prior_low", "prior_high"]).to_string(index=False))
        if population.robustness is not None:
            print("\npublished-size study (8 mice per arm, new seed per set; F8: patients)\n"
                  + robustness_summary(population.robustness).drop(columns="statement").to_string(index=False))
    print(f"\nfolder: {out}")
    return 0


def _catalogue(folder: Path, population, animals_per_set: int) -> None:
    """List the calibration in the runs catalog beside study runs (``immunomet runs``)."""
    from ..provenance import utc_now
    from ..store import Catalog

    prov = population.provenance
    record = {**prov, "name": f"calibrate {prov['study']}", "status": "complete", "finished": utc_now(),
              "individuals": len(population.evaluations) * animals_per_set, "unit": "mouse", "failed": 0}
    Catalog(folder.parent).record_output(folder, "calibrate", {"settings": prov.get("settings")}, record)


def predict(args: argparse.Namespace) -> int:
    from ..calibration.over_population import bands, prediction_bands
    from ..calibration.population import PlausiblePopulation
    from ..report.calibration_figures import bands_figure

    population = PlausiblePopulation.load(args.population)
    spec = load_builtin(args.study) if args.study in builtin_studies() else load_study_file(args.study)
    plan = plan_study(spec).with_engine(args.engine)
    if args.animals is not None:
        plan = plan.with_animals(args.animals)
    table = prediction_bands(plan, population, args.sets, seed=args.seed, workers=args.workers,
                             progress=not args.quiet)
    out = output_folder(args.out, "predict")
    table.to_csv(out / "sets.csv", index=False)
    summary = bands(table)
    summary.to_csv(out / "bands.csv", index=False)
    bands_figure(summary).savefig(out / "bands.png", dpi=100)
    with pd.option_context("display.width", 250, "display.max_rows", 500, "display.float_format", "{:.3g}".format):
        print(f"{spec.name}: {summary['sets'].max()} plausible sets from {args.population}")
        print(summary.to_string(index=False))
    print(f"\nfolder: {out}")
    return 0
