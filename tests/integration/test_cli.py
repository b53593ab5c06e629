"""The CLI as a user runs it: a subprocess, files on disk, one-line errors."""
import json
import subprocess
import sys

import pandas as pd
import pytest


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "immunomet", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_simulate_writes_parquet_png_and_prints_a_summary(tmp_path):
    out = tmp_path / "ko"
    proc = run("simulate", "--genotype", "il6-ko", "--treat", "anti-pdl1:200ug@d7,d10", "--days", "30",
               "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for label in ("visible liver nodules", "cancer cells in the liver", "effector CD8", "PD-L1", "serum IL-6"):
        assert label in proc.stdout
    table = pd.read_parquet(out / "trajectories.parquet")
    assert table["day"].max() == 30.0
    assert (out / "trajectories.png").read_bytes()[:4] == b"\x89PNG"
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["protocol"]["genotype"] == "il6-ko"
    assert prov["protocol"]["treatments"][0]["days"] == [7.0, 10.0]
    assert "did not reach the humane end point (tumour burden > 1e+09) by day 30" in proc.stdout


def test_simulate_says_when_the_mouse_is_past_the_humane_end_point():
    """A WT mouse reaches 1e9 cancer cells in the liver around day 24; its later values describe no living mouse."""
    proc = run("simulate", "--days", "40")
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if "HUMANE END POINT" in x)
    day = float(line.split(" on day ")[1].split(";")[0])
    assert line.strip().startswith("PAST THE HUMANE END POINT: tumour burden > 1e+09") and 15 < day < 40


@pytest.mark.parametrize("args, fragment", [
    (["simulate", "--genotype", "il6-ki"], "unknown genotype 'il6-ki'"),
    (["simulate", "--treat", "anti-ctla4:200ug@d7"], "unknown agent 'anti-ctla4'"),
    (["simulate", "--treat", "anti-pdl1:lots@d7"], "cannot read treatment"),
    (["simulate", "--treat", "anti-pdl1:200ug@d50", "--days", "40"], "after the end of follow-up"),
    (["simulate", "--days", "-3"], "must be a finite number > 0"),
    (["simulate", "--set", "kill_max=99"], "prior range"),
    (["simulate", "--set", "no_such=1"], "unknown parameter 'no_such'"),
    (["simulate", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_input_gets_one_clear_line_and_nonzero_exit(args, fragment):
    proc = run(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert fragment in lines[0] and "Traceback" not in proc.stderr


def test_model_show_prints_processes_and_sourced_parameters():
    proc = run("model", "show")
    assert proc.returncode == 0
    assert "cd8_killing: cancer_cells -> 0" in proc.stdout
    assert "de Pillis" in proc.stdout and "assumed:" in proc.stdout
    lint = run("model", "lint")
    assert lint.returncode == 0 and "0 error(s)" in lint.stdout


def test_export_sbml_writes_a_file_roadrunner_can_run(tmp_path):
    roadrunner = pytest.importorskip("roadrunner")
    out = tmp_path / "ko.xml"
    proc = run("export-sbml", "--genotype", "il6-ko", "--treat", "anti-pdl1:200ug@d8,d11", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    rr = roadrunner.RoadRunner(str(out))
    result = rr.simulate(0, 10, 11, selections=["time", "apdl1_ip"])
    assert result[9, 1] > 0  # the day-8 dose arrived in the peritoneum
