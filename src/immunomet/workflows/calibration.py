"""``run_calibration``: calibrate the mouse model on the built-in study's targets, save the result
with its figure, and optionally write the posterior medians into the parameter table."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..calibration import CalibrationSettings, calibrate_model
from ..calibration.defaults import rewrite_parameters
from ..studies import load_builtin, plan_study

STUDY = "toyoshima2019"


def mouse_parameter_table() -> Path:
    """The mouse model's parameter table in this source tree (or installation)."""
    return Path(str(resources.files("immunomet.models").joinpath("data", "mouse_parameters.yaml")))


def run_calibration(settings: CalibrationSettings, out: Path, *, write_defaults: bool = False,
                    progress: bool = False, table: Path | None = None):
    """(result, path written or None): the calibration saved to ``out`` (chain, summaries,
    estimability, targets, ``calibration.png``); with ``write_defaults`` the estimated parameters'
    posterior medians and the fixed ones' reasons go into ``table`` (default: the mouse table)."""
    from ..report.calibration_figures import posterior_figure

    plan = plan_study(load_builtin(STUDY))
    result = calibrate_model(plan, settings, progress=progress)
    result.save(out)
    figure = posterior_figure(result)
    figure.savefig(out / "calibration.png", dpi=110)
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
