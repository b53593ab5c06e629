"""Studies from the command line: reproduce, run, one-line errors, and every example end to end."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "immunomet", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_reproduce_writes_a_run_folder_catalog_and_summaries(reproduced):
    proc, tmp_path, folder = reproduced
    assert proc.returncode == 0, proc.stderr
    assert "[colonisation]" in proc.stdout and "[survival]" in proc.stdout
    assert "Il6-/- anti-PD-L1" in proc.stdout and "median survival" in proc.stdout
    readouts = pd.concat(pd.read_parquet(p) for p in (folder / "tables" / "readouts").glob("part-*.parquet"))
    assert readouts["arm"].nunique() == 15  # 10 colonisation + 5 prediction arms (F9)
    assert (folder / "provenance.json").exists() and (folder / "figure.png").exists()
    listing = run("runs", cwd=tmp_path)
    assert "toyoshima2019" in listing.stdout and "complete" in listing.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_examples_run_end_to_end(example, tmp_path):
    proc = run("run", str(example), "--animals", "2", "--workers", "1", "--quiet", "--root", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "run folder:" in proc.stdout


BAD = {
    "malformed.yaml": ("name: x\narms: [ {name: a\n", "not valid YAML (line"),
    "agent.yaml": ("name: x\narms:\n  - {name: a, treatments: ['anti-foo:200ug@d7']}\n",
                   "arms[0].treatments[0].agent: unknown agent 'anti-foo'"),
    "dose.yaml": ("name: x\narms:\n  - name: a\n    treatments: [{agent: anti-pdl1, dose: -200ug, days: [7]}]\n",
                  "arms[0].treatments[0].dose: must be >= 0"),
    "late.yaml": ("name: x\nfollow_up: 21\nreadout_days: [28]\narms: [{name: a}]\n",
                  "readout_days: day 28 is after the end of follow-up"),
}


@pytest.mark.parametrize("filename", sorted(BAD))
def test_a_bad_study_file_gets_one_line_and_a_nonzero_exit(filename, tmp_path):
    text, fragment = BAD[filename]
    path = tmp_path / filename
    path.write_text(text)
    proc = run("run", str(path), "--root", str(tmp_path / "runs"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert fragment in lines[0]


def test_missing_file_and_schema():
    proc = run("run", "no-such-study.yaml")
    assert proc.returncode == 2 and "not found" in proc.stderr
    schema = run("study", "schema")
    assert schema.returncode == 0 and '"arms"' in schema.stdout
