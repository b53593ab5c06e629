"""``immunomet calibrate`` / ``predict`` / ``fit`` end to end on tiny settings, and over-population
helpers: robustness rows per set and finding, prediction bands with the default beside the band."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from immunomet.calibration.over_population import DEFAULT_SET, bands, robustness_summary
from immunomet.store import Catalog

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "immunomet", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    where = tmp_path_factory.mktemp("cal")
    proc = _cli("calibrate", "--parameters", "kill_max,emax_ifn_pdl1", "--required", "F1,F6", "--animals", "3",
                "--criterion", "direction", "--chains", "1", "--steps", "3", "--burn-in", "1", "--robustness", "2",
                "--patients", "40", "--out", "cal", "--quiet", cwd=where)
    assert proc.returncode == 0, proc.stderr
    return where / "cal", proc.stdout


def test_calibrate_writes_the_population_and_reports(calibration):
    folder, stdout = calibration
    for name in ("evaluations.parquet", "population.json", "posterior.csv", "pass_rates.csv", "robustness.csv",
                 "calibration.png"):
        assert (folder / name).is_file(), name
    assert "plausible population: 2 parameters, required F1, F6 (directions only, 3 paired mice per arm)" in stdout
    rob = pd.read_csv(folder / "robustness.csv")
    assert set(rob["set"].astype(str)) == {"0", "1", DEFAULT_SET} and set(rob["finding"]) >= {"F1", "F8", "F9"}
    runs = Catalog(folder.parent).runs()
    assert list(runs["name"]) == ["calibrate toyoshima2019"] and list(runs["status"]) == ["complete"]
    assert list(runs["kind"]) == ["calibrate"]
    summary = robustness_summary(rob)
    assert list(summary["finding"]) == [f"F{i}" for i in range(1, 10)]
    provenance = json.loads((folder / "population.json").read_text())["provenance"]
    for key in ("model_hash", "seed", "study_seed", "created", "numpy", "wall_seconds", "parameters"):
        assert key in provenance, key
    assert provenance["significance"] is False and provenance["chains"] == 1
    assert summary["plausible sets n"].eq(2).all()


def test_predict_runs_a_study_over_the_population(calibration, tmp_path):
    folder, _ = calibration
    proc = _cli("predict", str(ROOT / "examples" / "il6r_pdl1_combination.yaml"), "--population", str(folder), "--sets", "2", "--animals", "2", "--out", "p",
                "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "p" / "bands.csv")
    assert (table["sets"] == 2).all() and table["default"].notna().all()
    assert (table["p5"] <= table["median"] + 1e-9).all() and (table["median"] <= table["p95"] + 1e-9).all()
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
    proc = _cli("calibrate", "--required", "F1,F8", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "F8" in proc.stderr and proc.stderr.count("\n") == 1
    proc = _cli("calibrate", "--parameters", "kill_mx", "--steps", "1", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean" in proc.stderr and proc.stderr.count("\n") == 1


def test_fit_command_on_the_example(tmp_path):
    proc = _cli("fit", str(ROOT / "examples/own_data/synthetic"), "--starts", "1", "--no-profiles", "--out", "f",
                "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "converged" in proc.stdout and (tmp_path / "f" / "fit.png").is_file()
    est = pd.read_csv(tmp_path / "f" / "estimates.csv")
    assert list(est["parameter"]) == ["kill_max", "emax_ifn_pdl1", "sigma_perforin"]
