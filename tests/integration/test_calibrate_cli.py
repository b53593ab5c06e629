"""``immunomet calibrate`` and ``predict`` end to end on CI-sized settings (a smoke version of the
full calibration in docs/calibration.md), and prediction bands with the default beside the band."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from immunomet.calibration.defaults import CALIBRATED
from immunomet.calibration.over_population import DEFAULT_SET, bands
from immunomet.store import Catalog
from immunomet.workflows.calibration import mouse_parameter_table

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "immunomet", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    where = tmp_path_factory.mktemp("cal")
    table = where / "mouse_parameters.yaml"
    table.write_text(mouse_parameter_table().read_text())
    proc = _cli("calibrate", "--steps", "3", "--burn-in", "1", "--map-iterations", "2", "--out", "cal",
                "--write-defaults", "--defaults-table", str(table), "--quiet", cwd=where)
    assert proc.returncode == 0, proc.stderr
    return where / "cal", proc.stdout, table


def test_calibrate_writes_the_posterior_diagnostics_and_targets(calibration):
    folder, stdout, _ = calibration
    for name in ("chain.npz", "posterior.json", "summary.csv", "estimability.csv", "targets.csv",
                 "calibration.json", "calibration.png"):
        assert (folder / name).is_file(), name
    summary = pd.read_csv(folder / "summary.csv")
    ranking = pd.read_csv(folder / "estimability.csv")
    estimable = ranking.query("estimable")["parameter"].tolist()
    assert summary["parameter"].tolist() == estimable and len(estimable) >= 5
    meta = json.loads((folder / "calibration.json").read_text())
    assert sorted(ranking["parameter"]) == sorted(meta["searched"])  # ranked at the MAP of the search
    assert {"ess_bulk", "ess_tail", "r_hat", "converged"} <= set(summary.columns)
    assert not summary["converged"].any()  # three steps cannot converge, and the output says so
    assert "converged (bulk and tail ESS >= 200, R-hat <= 1.01): 0 of" in stdout
    targets = pd.read_csv(folder / "targets.csv")
    assert {"nodules_wt_d21", "F1.1", "F7.4"} <= set(targets["target"])
    assert meta["estimated"] == estimable and "model_hash" in meta and "numpy" in meta
    runs = Catalog(folder.parent).runs()
    assert list(runs["kind"]) == ["calibrate"] and list(runs["status"]) == ["complete"]


def test_write_defaults_puts_the_medians_into_the_table(calibration):
    folder, _, table = calibration
    meta = json.loads((folder / "calibration.json").read_text())
    written = yaml.safe_load(table.read_text())
    for name, value in meta["median"].items():
        assert written[name]["value"] == pytest.approx(value, rel=1e-3)
        assert written[name]["source"].startswith(CALIBRATED)
    before = yaml.safe_load(mouse_parameter_table().read_text())
    for name in set(meta["searched"]) - set(meta["median"]):  # fixed at the MAP or at its source, saying why
        expected = before[name]["value"] if name in meta["restored"] else meta["map"][name]
        assert written[name]["value"] == pytest.approx(expected, rel=1e-3)
        assert written[name]["source"].startswith("fixed: not identifiable")
        assert ("keeps its value before the search" in written[name]["source"]) == (name in meta["restored"])
    untouched = yaml.safe_load(mouse_parameter_table().read_text())
    assert all(written[n] == untouched[n] for n in untouched if n not in meta["searched"] and
               not written[n]["source"].startswith("fixed"))


def test_predict_runs_a_study_over_posterior_draws(calibration, tmp_path):
    folder, _, _ = calibration
    proc = _cli("predict", str(ROOT / "examples" / "il6r_pdl1_combination.yaml"), "--population", str(folder),
                "--sets", "2", "--animals", "2", "--out", "p", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "p" / "bands.csv")
    measured = table["readout"] != "median_survival"  # a median not reached is NaN
    assert (table["sets"] == 2).all() and table.loc[measured, "default"].notna().all()
    ranged = table.dropna(subset=["median"])
    assert (ranged["p5"] <= ranged["median"] + 1e-9).all() and (ranged["median"] <= ranged["p95"] + 1e-9).all()
    assert (tmp_path / "p" / "bands.png").is_file()


def test_bands_summarise_sets_and_keep_survival_arms():
    sets = pd.DataFrame({"arm": ["A", "A", "A", "S", "S", "S"], "day": [21, 21, 21, None, None, None],
                         "readout": ["visible_nodules"] * 3 + ["median_survival"] * 3,
                         "value": [10.0, 20.0, 30.0, 25.0, 27.0, 29.0], "set": [DEFAULT_SET, "0", "1"] * 2})
    out = bands(sets).set_index("arm")
    assert out.loc["A", "default"] == 10 and out.loc["A", "median"] == 25 and out.loc["A", "sets"] == 2
    assert out.loc["S", "default"] == 25 and pd.isna(out.loc["S", "day"])


def test_predict_and_calibrate_bad_input_is_one_line(tmp_path):
    proc = _cli("predict", "toyoshima2019", "--population", str(tmp_path), "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "not a calibration folder" in proc.stderr and proc.stderr.count("\n") == 1
    proc = _cli("calibrate", "--steps", "0", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "--steps" in proc.stderr and proc.stderr.count("\n") == 1
    proc = _cli("calibrate", "--walkers", "3", "--steps", "1", "--map-iterations", "2", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "walkers" in proc.stderr and proc.stderr.count("\n") == 1


def test_fit_command_on_the_example(tmp_path):
    proc = _cli("fit", str(ROOT / "examples/own_data/synthetic"), "--starts", "1", "--no-profiles", "--out", "f",
                "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "converged" in proc.stdout and (tmp_path / "f" / "fit.png").is_file()
    est = pd.read_csv(tmp_path / "f" / "estimates.csv")
    assert list(est["parameter"]) == ["kill_max", "emax_ifn_pdl1", "sigma_perforin"]


def test_animal_spread_writes_the_fitted_variability_into_a_table_copy(tmp_path):
    from immunomet.models.variability_table import parse_variability_table
    from immunomet.workflows.calibration import mouse_variability_table

    table = tmp_path / "mouse_variability.yaml"
    table.write_text(mouse_variability_table().read_text())
    proc = _cli("calibrate", "--animal-spread", "--cohort", "200", "--write-defaults", "--defaults-table", str(table),
                "--out", "spread", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "liver_nodules_intensity_cv" in proc.stdout and (tmp_path / "spread" / "animal_spread.csv").exists()
    written = parse_variability_table(yaml.safe_load(table.read_text()), "copy")
    assert all(written.sources[name].startswith("calibrated: fitted to") for name in ("spread", *written.log_sd))
    assert mouse_variability_table().read_text() != table.read_text() or "200 control animals" in table.read_text()
    proc = _cli("calibrate", "--animal-spread", "--patients", cwd=tmp_path)
    assert proc.returncode == 2 and "choose one" in proc.stderr and proc.stderr.count("\n") == 1


def test_named_parameters_are_sampled_alone_from_their_current_values(tmp_path):
    table = tmp_path / "mouse_parameters.yaml"
    table.write_text(mouse_parameter_table().read_text())
    proc = _cli("calibrate", "--parameters", "k_innate,k_window", "--steps", "3", "--burn-in", "1", "--out", "cal",
                "--write-defaults", "--defaults-table", str(table), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = pd.read_csv(tmp_path / "cal" / "summary.csv")
    assert summary["parameter"].tolist() == ["k_innate", "k_window"]
    before = yaml.safe_load(mouse_parameter_table().read_text())
    assert (summary["map"] == [before["k_innate"]["value"], before["k_window"]["value"]]).all()  # started there
    written = yaml.safe_load(table.read_text())
    changed = sorted(n for n in before if written[n] != before[n])
    assert changed == ["k_innate", "k_window"]  # no other parameter, and no other source, is touched
    assert json.loads((tmp_path / "cal" / "calibration.json").read_text())["settings"]["parameters"] == [
        "k_innate", "k_window"]


def test_a_parameter_that_cannot_be_calibrated_is_refused_in_one_line(tmp_path):
    proc = _cli("calibrate", "--parameters", "k_innate,r_tumour_typo", "--out", "cal", "--quiet", cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "parameters: r_tumour_typo cannot be calibrated" in proc.stderr.strip().splitlines()[-1]
