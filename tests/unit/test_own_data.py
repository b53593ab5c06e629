"""Own-data problems: the tables are linted line by line, the noise models equal scipy's densities,
scales round-trip, and the CLI reports bad tables in one line."""
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from immunomet.calibration.own_data import lint, load_problem, log_likelihood_terms, read_tables
from immunomet.errors import DataError
from immunomet.models import mouse_model

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "own_data" / "synthetic"


def test_noise_models_equal_scipy_log_densities():
    y = np.array([0.0, 3.0, 17.0, 120.0])
    m = np.array([1.5, 4.0, 12.0, 100.0])
    assert np.allclose(log_likelihood_terms(y, m, "normal", 2.5), stats.norm.logpdf(y, m, 2.5))
    assert np.allclose(log_likelihood_terms(y[1:], m[1:], "lognormal", 0.3),
                       stats.lognorm.logpdf(y[1:], 0.3, scale=m[1:]))
    assert np.allclose(log_likelihood_terms(y, m, "poisson", np.nan), stats.poisson.logpmf(y, m))
    k = 4.0  # scipy's nbinom(n=k, p=k/(k+m)) has mean m and variance m + m^2/k
    assert np.allclose(log_likelihood_terms(y, m, "negative_binomial", k), stats.nbinom.logpmf(y, k, k / (k + m)))


def test_example_problem_loads_and_scales_round_trip():
    problem = load_problem(EXAMPLE, mouse_model())
    assert problem.names == ["kill_max", "emax_ifn_pdl1", "sigma_perforin"]
    values = {"kill_max": 2.0, "emax_ifn_pdl1": 4.0, "sigma_perforin": 3.0}
    assert problem.from_scaled(problem.to_scaled(values)) == pytest.approx(values)
    assert problem.protocol("ko_pdl1").treatments[0].agent == "anti-pdl1"
    assert problem.protocol("wt").days == 22.0  # one day past the last measurement


@pytest.fixture()
def broken(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(EXAMPLE, folder)

    def edit(table, old, new):
        path = folder / f"{table}.tsv"
        path.write_text(path.read_text().replace(old, new, 1))
    edit("observables", "perforin_of_cd8", "perforin")
    edit("conditions", "il6-ko\tanti-pdl1", "il6-kx\tanti-pdl1")
    lines = (folder / "measurements.tsv").read_text().splitlines()
    header, first = lines[0].split("\t"), lines[1].split("\t")
    first[header.index("measurement")] = "eight"  # the first data row (row 2) is not a number
    (folder / "measurements.tsv").write_text("\n".join([lines[0], "\t".join(first), *lines[2:]]) + "\n")
    edit("parameters", "1.43\t7.17", "1.0\t7.17")
    edit("observables", "sigma_perforin", "sigma_perforn")
    return folder


def test_lint_names_each_problem_with_table_row_and_column(broken):
    issues = lint(read_tables(broken), mouse_model())
    text = "\n".join(issues)
    assert len(issues) == 6, text
    assert "observables.tsv row 3, column readout: 'perforin'" in text
    assert "conditions.tsv row 4, column genotype/treatments: unknown genotype 'il6-kx'" in text
    assert "measurements.tsv row 2, column measurement: 'eight' is not a number" in text
    assert "parameters.tsv row 2, column lowerBound/upperBound: kill_max must stay within its prior" in text
    assert "noiseParameter: 'sigma_perforn' is neither a positive number nor a parameterId" in text
    assert "parameterId: 'sigma_perforin' is neither a model parameter nor the noiseParameter" in text
    with pytest.raises(DataError, match="and 5 more"):
        load_problem(broken, mouse_model())


def test_missing_table_or_column_is_one_error(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(EXAMPLE, folder)
    (folder / "parameters.tsv").unlink()
    with pytest.raises(DataError, match="parameters.tsv: missing"):
        read_tables(folder)
    shutil.copy(EXAMPLE / "parameters.tsv", folder)
    (folder / "observables.tsv").write_text("observableId\treadout\nx\tpdl1_mfi\n")
    assert lint(read_tables(folder), mouse_model()) == [
        "observables.tsv: missing column(s) noiseDistribution, noiseParameter; the columns are observableId, readout, "
        "noiseDistribution, noiseParameter"]


def test_fit_command_bad_tables_exit_2_in_one_line(broken):
    proc = subprocess.run([sys.executable, "-m", "immunomet", "fit", str(broken), "--quiet"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    lint_run = subprocess.run([sys.executable, "-m", "immunomet", "fit", str(broken), "--lint"],
                              capture_output=True, text=True)
    assert lint_run.returncode == 1 and lint_run.stdout.count("\n") == 6
