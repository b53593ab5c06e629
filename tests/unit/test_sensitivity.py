"""Sensitivity analysis on the model: parameters off the pathway have no effect; CLI errors are one line."""
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("SALib")

from immunomet.calibration import Scenario, run_sensitivity, salib_problem  # noqa: E402
from immunomet.errors import SpecError  # noqa: E402
from immunomet.models import mouse_model  # noqa: E402


@pytest.fixture(scope="module")
def morris():
    params = ["r_tumour", "k_innate", "CL_acd8", "Kd_acd8"]
    return run_sensitivity(mouse_model(), Scenario(follow_up=40), parameters=params, method="morris", n=6, seed=1)


def test_anti_cd8_pk_does_not_matter_without_anti_cd8(morris):
    for readout, table in morris.tables.items():
        t = table.set_index("parameter")
        assert t.loc["CL_acd8", "mu_star"] == 0 and t.loc["Kd_acd8", "mu_star"] == 0, readout
    nodules = morris.tables["visible_nodules"].set_index("parameter")
    assert nodules.loc["r_tumour", "mu_star"] > 0.1 and nodules.loc["k_innate", "mu_star"] > 0.1


def test_faster_growth_means_more_nodules_and_earlier_death(morris):
    """Direction check on the design itself: outputs correlate with r_tumour as the biology says."""
    r = morris.X[:, morris.problem["names"].index("r_tumour")]
    ys = dict(zip(morris.readouts, morris.Y.T))
    assert np.corrcoef(r, ys["visible_nodules"])[0, 1] > 0.3
    assert np.corrcoef(r, ys["survival"])[0, 1] < -0.3


def test_problem_bounds_are_log10_priors_and_names_are_checked():
    model = mouse_model()
    problem = salib_problem(model, ["r_tumour"])
    assert problem["bounds"] == [[pytest.approx(np.log10(0.4)), pytest.approx(np.log10(1.2))]]
    assert salib_problem(model)["num_vars"] > 50
    with pytest.raises(SpecError, match="did you mean"):
        salib_problem(model, ["r_tumor"])


def test_sensitivity_command(tmp_path):
    run = [sys.executable, "-m", "immunomet", "sensitivity", "--parameters", "r_tumour,k_innate,kill_max", "--n", "2",
           "--readouts", "visible_nodules,survival", "--follow-up", "40", "--out", str(tmp_path / "s"), "--quiet"]
    proc = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "visible_nodules" in proc.stdout and (tmp_path / "s" / "indices.csv").is_file()
    assert (tmp_path / "s" / "sensitivity.png").is_file()
    bad = subprocess.run(run[:5] + ["r_tumor"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "did you mean 'r_tumour'" in bad.stderr and "Traceback" not in bad.stderr
