"""``immunomet export-petab``: own-data problems as PEtab v1 (Schmiester et al. 2021, PLoS Comput Biol
17:e1008646; format spec https://petab.readthedocs.io/en/latest/v1/documentation_data_format.html),
checked with libpetab's linter (``petab.v1.lint_problem``; those tests skip without ``petab``). The numbers are checked against
immunomet's own fit in tests/reference/test_sbml_roadrunner.py and test_sbml_amici.py."""
import logging
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from immunomet.cli.main import main
from immunomet.errors import DataError

libsbml = pytest.importorskip("libsbml")
from immunomet.interop.petab import COUNT_FLOOR, export_petab  # noqa: E402

SYNTHETIC = Path(__file__).resolve().parents[2] / "examples" / "own_data" / "synthetic"


def _lint(folder: Path, caplog) -> list[str]:
    """libpetab's lint of a written problem: the error messages (empty: valid)."""
    petab = pytest.importorskip("petab.v1")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="petab"):
        failed = petab.lint_problem(petab.Problem.from_yaml(folder / "problem.yaml"))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failed == bool(errors)
    return errors


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "own"
    shutil.copytree(SYNTHETIC, folder)
    return folder


def _edit(folder: Path, table: str, change) -> None:
    path = folder / f"{table}.tsv"
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    change(frame)
    frame.to_csv(path, sep="\t", index=False)


def test_synthetic_example_is_a_valid_petab_problem(mouse, tmp_path, caplog):
    export_petab(SYNTHETIC, tmp_path / "petab", mouse)
    assert sorted(p.name for p in (tmp_path / "petab").iterdir()) == [
        "conditions.tsv", "measurements.tsv", "model.xml", "observables.tsv", "parameters.tsv", "problem.yaml"]
    assert _lint(tmp_path / "petab", caplog) == []


def test_conditions_set_genotype_cells_and_dose_amounts(mouse, tmp_path):
    """One model for all conditions: genotype edits, injected cells and one amount per (species,
    day) dosed anywhere are condition-table parameters; 0 where a condition has no such dose."""
    problem = export_petab(SYNTHETIC, tmp_path / "petab", mouse)
    c = problem.conditions.set_index("conditionId")
    assert list(c.index) == ["wt", "ko", "ko_pdl1"]
    assert list(c["host_il6"]) == [1.0, 0.0, 0.0]
    assert list(c["cells_injected"]) == [1e5, 1e5, 1e5]
    assert list(c["dose_apdl1_ip_d8"]) == [0.0, 0.0, 200.0]
    assert list(c["dose_apdl1_ip_d11"]) == [0.0, 0.0, 200.0]
    assert problem.day_offset == 0.0
    assert _triggers(libsbml.readSBMLFromString(problem.sbml).getModel()) == ["time >= 8", "time >= 11"]


def test_observables_map_readouts_and_noise_models(mouse, tmp_path):
    """normal -> normal (lin), lognormal -> normal on the natural-log scale, negative binomial ->
    normal with variance m + m^2/k + 1/(2 pi); own ids are prefixed 'obs_' (PEtab ids must not
    shadow the species 'pdl1')."""
    problem = export_petab(SYNTHETIC, tmp_path / "petab", mouse)
    obs = problem.observables.set_index("observableId")
    assert list(obs.index) == ["obs_nodules", "obs_perforin", "obs_pdl1"]
    assert list(obs["observableFormula"]) == ["expected_visible_nodules", "100 * perforin_of_cd8", "pdl1"]
    assert list(obs["observableTransformation"]) == ["lin", "lin", "log"]
    assert set(obs["noiseDistribution"]) == {"normal"}
    assert obs.loc["obs_perforin", "noiseFormula"] == "noiseParameter1_obs_perforin"
    nb = obs.loc["obs_nodules", "noiseFormula"]
    m, k = 40.0, 10.0
    sd = eval(nb.replace("^", "**"), {"sqrt": math.sqrt, "expected_visible_nodules": m,  # noqa: S307
                                      "noiseParameter1_obs_nodules": k})
    assert sd**2 == pytest.approx(m + m**2 / k + COUNT_FLOOR)
    assert -0.5 * math.log(2 * math.pi * COUNT_FLOOR) == pytest.approx(0.0)  # a zero count predicted as 0: log 1
    meas = problem.measurements
    assert set(meas.loc[meas["observableId"] == "obs_perforin", "noiseParameters"]) == {"sigma_perforin"}
    assert set(meas.loc[meas["observableId"] == "obs_nodules", "noiseParameters"]) == {"10"}
    assert list(problem.parameters["parameterId"]) == ["kill_max", "emax_ifn_pdl1", "sigma_perforin"]


def _poisson_nodules(f):
    rows = f["observableId"] == "nodules"
    f.loc[rows, "noiseDistribution"], f.loc[rows, "noiseParameter"] = "poisson", ""


def _anti_cd8_from_day_minus_1_in_wt(f):
    f.loc[f["conditionId"] == "wt", "treatments"] = "anti-cd8:200ug@d-1,d3"


def test_poisson_counts_and_a_dose_before_the_injection(mouse, tmp_path, caplog):
    """Poisson has no noise parameter (variance m + 1/(2 pi)); a dose on day -1 moves PEtab time 0
    there: measurement times shift by +1 and the day -1 dose is an initial value."""
    folder = _copy(tmp_path)
    _edit(folder, "observables", _poisson_nodules)
    _edit(folder, "conditions", _anti_cd8_from_day_minus_1_in_wt)
    problem = export_petab(folder, tmp_path / "petab", mouse)
    assert _lint(tmp_path / "petab", caplog) == []
    assert problem.day_offset == -1.0
    nodules = problem.observables.set_index("observableId").loc["obs_nodules", "noiseFormula"]
    assert nodules == f"sqrt(expected_visible_nodules + {COUNT_FLOOR!r})"
    meas = problem.measurements
    assert meas.loc[meas["observableId"] == "obs_nodules", "noiseParameters"].isna().all()
    assert sorted(set(meas["time"])) == [15.0, 22.0]
    c = problem.conditions.set_index("conditionId")
    assert list(c["dose_acd8_ip_dm1"]) == [200.0, 0.0, 0.0] and list(c["dose_acd8_ip_d3"]) == [200.0, 0.0, 0.0]
    model = libsbml.readSBMLFromString(problem.sbml).getModel()
    assert libsbml.formulaToL3String(model.getInitialAssignmentBySymbol("acd8_ip").getMath()) == "dose_acd8_ip_dm1"
    assert _triggers(model) == ["time >= 1", "time >= 4", "time >= 9", "time >= 12"]  # injection, days 3, 8, 11


def _triggers(model) -> list[str]:
    return [libsbml.formulaToL3String(e.getTrigger().getMath()) for e in model.getListOfEvents()]


def _zero_pdl1_mfi(f):
    f.loc[f["observableId"] == "pdl1", "measurement"] = "0"


def _bad_condition_id(f):
    f["conditionId"] = f["conditionId"].replace("ko_pdl1", "ko+pdl1")


def _estimate_host_il6(f):
    f.loc[len(f)] = ["host_il6", "lin", "0", "1", "1", "1"]


def _noise_parameter_named_il6(f):
    for column in ("parameterId", "noiseParameter"):
        if column in f:
            f[column] = f[column].replace("sigma_perforin", "il6")


@pytest.mark.parametrize("tables, change, expected", [
    (("measurements",), _zero_pdl1_mfi,
     "measurements.tsv row 20, column measurement: '0' cannot come from a log-normal observable"),
    (("conditions", "measurements"), _bad_condition_id, "conditions.tsv row 4, column conditionId: 'ko+pdl1' is not a PEtab id"),
    (("parameters",), _estimate_host_il6, "parameters.tsv row 5, column parameterId: host_il6 is set per condition"),
    (("parameters", "observables"), _noise_parameter_named_il6,
     "parameters.tsv row 4, column parameterId: 'il6' is also a species or rule"),
])
def test_bad_input_is_one_line_naming_file_and_column(mouse, tmp_path, tables, change, expected):
    folder = _copy(tmp_path)
    for table in tables:
        _edit(folder, table, change)
    with pytest.raises(DataError) as info:
        export_petab(folder, tmp_path / "petab", mouse)
    message = str(info.value)
    assert "\n" not in message and expected in message


def test_cli_export_petab_writes_problem_and_reports_errors_in_one_line(tmp_path, capsys):
    assert main(["export-petab", str(SYNTHETIC), "--out", str(tmp_path / "petab")]) == 0
    assert "3 condition(s), 3 observable(s), 90 measurement(s)" in capsys.readouterr().out
    assert main(["export-petab", str(tmp_path / "missing"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing: no such folder" in err and "Traceback" not in err
    folder = _copy(tmp_path)
    _edit(folder, "observables", lambda f: f.__setitem__("readout", f["readout"].replace("pdl1_mfi", "pdl1")))
    assert main(["export-petab", str(folder), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "observables.tsv row 4, column readout" in err


def test_cli_export_sbml_bad_input_is_one_line(tmp_path, capsys):
    assert main(["export-sbml", "--genotype", "il6-null", "--out", str(tmp_path / "f.xml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "il6-null" in err
    assert main(["export-sbml", "--out", "/proc/immunomet-no-such/f.xml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err
    assert main(["export-sbml", "--out", str(tmp_path / "new" / "f.xml")]) == 0  # missing folders are made
    assert (tmp_path / "new" / "f.xml").is_file()
