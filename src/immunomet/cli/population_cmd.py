"""``immunomet calibrate`` (the posterior of the mouse model's uncertain parameters) and
``immunomet predict STUDY`` (a study run over posterior draws, with prediction bands)."""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..errors import SpecError
from ..studies import builtin_studies, load_builtin, load_study_file, plan_study
from ._args import nonnegative_int, output_folder, positive_float, positive_int


def register(sub) -> None:
    p = sub.add_parser("calibrate", help="calibrate the mouse model: published magnitudes and findings F1-F7 "
                                         "(emcee posterior, arviz diagnostics)",
                       description="Fit the mouse model's uncertain parameters to the published magnitudes "
                                   "(models/data/magnitudes.yaml, use: calibration) and to the findings F1-F7 as "
                                   "soft constraints, each a quantity of the typical animal. Ranks which "
                                   "parameters the targets can inform (orthogonalised sensitivities at the MAP found "
                                   "by CMA-ES) and samples the posterior of the estimable ones "
                                   "(emcee); prints ESS and R-hat per parameter (arviz) and the targets before and "
                                   "after. --write-defaults puts the posterior medians into the parameter table "
                                   "(docs/calibration.md).")
    p.add_argument("--walkers", type=nonnegative_int, default=0, help="walkers (default 0: 4 per parameter, >= 32)")
    p.add_argument("--steps", type=positive_int, default=4000, help="steps after burn-in (default 4000)")
    p.add_argument("--burn-in", type=nonnegative_int, default=1500, help="steps discarded first (default 1500)")
    p.add_argument("--map-iterations", type=positive_int, default=600,
                   help="CMA-ES generations (32 candidates each) for the MAP (default 600)")
    p.add_argument("--cutoff", type=positive_float, default=1.0,
                   help="estimability cutoff: target uncertainties per prior width (default 1)")
    p.add_argument("--max-share", type=positive_float, default=0.5,
                   help="fix at the MAP, and sample the rest again, the parameters whose 90%% interval in the first "
                        "posterior covers more than this share of the prior width (default 0.5; 1 keeps all)")
    p.add_argument("--seed", type=nonnegative_int, default=1)
    p.add_argument("--group-animals", type=nonnegative_int, default=0, metavar="N",
                   help="targets on the median of N virtual animals spread as in the study, instead of the typical "
                        "animal (default 0: typical animal; costs about N times as much)")
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--parameters", type=_names, default=(), metavar="NAME,NAME",
                   help="sample the posterior of exactly these parameters from their current values, skipping the "
                        "search and the screens (e.g. a longer chain on the final set of the calibration behind the "
                        "defaults)")
    p.add_argument("--write-defaults", action="store_true",
                   help="write the posterior medians (and the fixed parameters' reasons) into the mouse parameter "
                        "table of this source tree")
    p.add_argument("--defaults-table", type=Path, default=None, metavar="YAML",
                   help="with --write-defaults: write into this parameter table instead (e.g. a copy)")
    p.add_argument("--patients", action="store_true",
                   help="calibrate the patient model instead: k_innate, d_tumour and f_liver_arrest on the published "
                        "3-year DFS (a grid posterior over the untreated virtual cohort), then check the DFS hazard "
                        "ratio by serum IL-6 (as Feng 2023 measured) against the published CI")
    p.add_argument("--animal-spread", action="store_true",
                   help="fit the between-mouse variability instead: the common spread and the log-SDs of "
                        "models/data/mouse_variability.yaml, on the dispersion of untreated control groups "
                        "(about 2.5 minutes)")
    p.add_argument("--cohort", type=positive_int, default=None,
                   help="with --patients: virtual patients per grid point (default 1000); with --animal-spread: "
                        "control animals per evaluation (default 2000)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/calibrate-TIME)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=calibrate)

    p = sub.add_parser("predict", help="run a study over posterior draws of a calibration: prediction bands",
                       description="Run a study (built-in name or YAML) once per posterior draw of a calibration "
                                   "folder and report, per arm and readout, the default set's value and the "
                                   "draws' median and 5-95% band.")
    p.add_argument("study", metavar="STUDY", help=f"study YAML or built-in name ({', '.join(builtin_studies())})")
    p.add_argument("--population", type=Path, required=True, help="folder written by 'immunomet calibrate'")
    p.add_argument("--sets", type=positive_int, default=20, help="posterior draws to run (default 20)")
    p.add_argument("--animals", type=positive_int, default=None, help="animals per arm (overrides the study)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="which sets are picked")
    p.add_argument("--workers", type=positive_int, default=1)
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/predict-TIME)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=predict)


def _names(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise argparse.ArgumentTypeError("give parameter names separated by commas, e.g. k_innate,k_window")
    return names


def calibrate(args: argparse.Namespace) -> int:
    from ..calibration.posterior import require_extra
    from ..report.calibration_figures import posterior_figure
    from ..workflows.calibration import run_calibration

    if args.patients and args.animal_spread:
        raise SpecError("--patients and --animal-spread: choose one of them")
    if not (args.patients or args.animal_spread):
        require_extra()
    out = output_folder(args.out, "calibrate")
    if args.patients:
        return _calibrate_patients(args, out)
    if args.animal_spread:
        return _calibrate_animal_spread(args, out)
    settings = _calibration_settings(args)
    result, written = run_calibration(settings, out, write_defaults=args.write_defaults, progress=not args.quiet,
                                      table=args.defaults_table)
    posterior_figure(result).savefig(out / "calibration.png", dpi=110)
    print(result)
    converged = result.posterior.summary()["converged"]
    print(f"\nconverged (bulk and tail ESS >= 200, R-hat <= 1.01): {int(converged.sum())} of {len(converged)} "
          "parameters")
    if written:
        print(f"wrote the posterior medians of {len(result.median())} parameters to {written}")
    print(f"\nfolder: {out}")
    return 0


def _calibrate_patients(args: argparse.Namespace, out: Path) -> int:
    from ..workflows.calibration import run_patient_calibration

    result, check, written = run_patient_calibration(out, write_defaults=args.write_defaults,
                                                     patients=args.cohort or 1000, table=args.defaults_table)
    print(result)
    with pd.option_context("display.width", 200, "display.float_format", "{:.3g}".format):
        print(check.to_string(index=False))
    if written:
        print(f"wrote {', '.join(f'{k} = {v:.4g}' for k, v in result.defaults().items())} to {written}")
    elif not result.reaches_target():
        low, high = result.target
        print(f"no grid point reaches the target (3-year DFS {low:g}-{high:g}): the parameter table is left as it is")
    print(f"\nfolder: {out}")
    return 0


def _calibrate_animal_spread(args: argparse.Namespace, out: Path) -> int:
    from ..calibration.animal_spread import SpreadFitSettings
    from ..workflows.calibration import run_animal_spread

    settings = SpreadFitSettings(animals=args.cohort or SpreadFitSettings.animals)
    fit, written = run_animal_spread(out, write_defaults=args.write_defaults, table=args.defaults_table,
                                     settings=settings)
    print(fit)
    if written:
        print(f"wrote {', '.join(f'{k} = {v:.4g}' for k, v in fit.values().items())} to {written}")
    print(f"\nfolder: {out}")
    return 0


def _calibration_settings(args: argparse.Namespace):
    from ..calibration import CalibrationSettings, SamplerSettings

    sampler = SamplerSettings(walkers=args.walkers, steps=args.steps, burn_in=args.burn_in, seed=args.seed,
                              map_iterations=args.map_iterations)
    return CalibrationSettings(sampler=sampler, cutoff=args.cutoff, engine=args.engine,
                               max_share=args.max_share, group_animals=args.group_animals,
                               parameters=args.parameters)


def predict(args: argparse.Namespace) -> int:
    from ..calibration.over_population import bands, prediction_bands
    from ..calibration import PosteriorSample
    from ..report.calibration_figures import bands_figure

    population = PosteriorSample.load(args.population)
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
        print(f"{spec.name}: {summary['sets'].max()} posterior draws from {args.population}")
        print(summary.to_string(index=False))
    print(f"\nfolder: {out}")
    return 0
