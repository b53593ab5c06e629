"""``run_calibration``: calibrate the mouse model on the built-in study's targets, save the result
with its figure, and optionally write the posterior medians into the parameter table."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..calibration import CalibrationSettings, calibrate_model
from ..calibration.defaults import rewrite_parameters
from ..models.variability_table import variability_filename
from ..studies import load_builtin, plan_study

STUDY = "toyoshima2019"


def _model_data(filename: str) -> Path:
    """A file of the models' data in this source tree (or installation)."""
    return Path(str(resources.files("immunomet.models").joinpath("data", filename)))


def mouse_parameter_table() -> Path:
    return _model_data("mouse_parameters.yaml")


def patient_parameter_table() -> Path:
    return _model_data("patient_parameters.yaml")


def run_patient_calibration(out: Path, *, write_defaults: bool = False, patients: int = 1000, points: int = 9,
                            table: Path | None = None):
    """(calibration, hazard-ratio check, path written or None): the patient model's ``k_innate``,
    ``d_tumour`` and ``f_liver_arrest`` on the 3-year DFS (``calibration.patients``), the grid saved to ``out``, then
    the untreated trial at the defaults (``PatientCalibration.defaults``, written) checked against the published
    hazard ratios (not a target). Nothing is written when no grid point reaches the target's range."""
    from ..calibration.defaults import calibrated_source
    from ..calibration.patients import calibrate_patients, hazard_ratio_check
    from ..models import patient_model

    result = calibrate_patients(patients=patients, points=points)
    out.mkdir(parents=True, exist_ok=True)
    result.grid.to_csv(out / "patients_grid.csv", index=False)
    check = hazard_ratio_check(result.defaults())  # the built-in cohort: 500 patients, seed 2019
    check.to_csv(out / "patients_check.csv", index=False)
    written = None
    if write_defaults and result.reaches_target():
        written = table or patient_parameter_table()
        sources = {}
        for name in result.parameters:
            note = (f"{len(result.grid)}-point grid; marginal median {result.quantile(name, 0.5):.3g}, 90% interval "
                    f"{result.quantile(name, 0.05):.3g}-{result.quantile(name, 0.95):.3g}; 3-year DFS target "
                    f"{result.target[0]:g}-{result.target[1]:g}; docs/patients.md")
            sources[name] = calibrated_source(patient_model().parameters[name].source, note,
                                              "the grid point on the crest of the ridge nearest the marginal medians")
        rewrite_parameters(written, result.defaults(), sources)
    return result, check, written


def mouse_variability_table() -> Path:
    return _model_data(variability_filename("mouse"))


def run_animal_spread(out: Path, *, write_defaults: bool = False, table: Path | None = None, settings=None):
    """(fit, path written or None): the mouse model's between-animal variability fitted to the dispersion
    targets of its variability table (``calibration.animal_spread``), saved to ``out``; with
    ``write_defaults`` the fitted values and their sources go into ``table`` (default: the model's)."""
    from ..calibration.animal_spread import SpreadFitSettings, fit_animal_spread

    fit = fit_animal_spread("mouse", settings or SpreadFitSettings())
    fit.save(out)
    written = None
    if write_defaults and fit.values():
        written = table or mouse_variability_table()
        rewrite_parameters(written, fit.values(), fit.sources())
    return fit, written


def run_calibration(settings: CalibrationSettings, out: Path, *, write_defaults: bool = False,
                    progress: bool = False, table: Path | None = None):
    """(result, path written or None): the calibration saved to ``out`` (chain, summaries,
    estimability, targets; the CLI adds ``calibration.png``); with ``write_defaults`` the estimated
    parameters' posterior medians and the fixed ones' reasons go into ``table`` (default: the mouse
    table)."""
    plan = plan_study(load_builtin(STUDY))
    result = calibrate_model(plan, settings, progress=progress)
    result.save(out)
    _catalogue(out, result)
    written = None
    if write_defaults:
        written = table or mouse_parameter_table()
        values, sources = result.default_edits()
        rewrite_parameters(written, values, sources)
    return result, written


def _catalogue(folder: Path, result) -> None:
    """List the calibration in the runs catalog beside study runs (``immunomet runs``)."""
    from ..provenance import utc_now
    from ..store import Catalog

    post = result.posterior
    record = {"name": f"calibrate {STUDY}", "status": "complete", "finished": utc_now(),
              "model_hash": result.problem.model.hash, "individuals": int(post.chain.shape[0] * post.chain.shape[1]),
              "unit": "parameter set", "failed": 0}
    Catalog(folder.parent).record_output(folder, "calibrate", {"estimated": list(result.problem.names)}, record)
