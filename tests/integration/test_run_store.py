"""A store people can trust with weeks of compute: damaged folders are found and repaired, many
runs and readers share one root, and signals end a run as 'interrupted' with its work kept."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from immunomet.errors import DataError
from immunomet.store import Catalog, check, open_run, resume
from immunomet.studies import parse_study, plan_study, run_study

STUDY = {"name": "store", "seed": 7, "animals_per_arm": 4, "readout_days": [10], "follow_up": 10,
         "arms": [{"name": "WT"}, {"name": "KO", "genotype": "il6-ko"}]}
TABLES = ("animals", "readouts", "timecourses", "parameters")


def _cli(*args, cwd=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "immunomet", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, **kwargs)


@pytest.fixture(scope="module")
def reference():
    return run_study(plan_study(parse_study(STUDY)))


@pytest.fixture()
def finished(tmp_path):
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(STUDY))
    proc = _cli("run", "study.yaml", "--chunk-size", "2", "--out", "runs/r", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "runs" / "r"


def _truncate(path):
    path.write_bytes(path.read_bytes()[:60])


DAMAGE = {
    "a deleted part": lambda run: (run / "tables/readouts/part-00001.parquet").unlink(),
    "a truncated part": lambda run: _truncate(run / "tables/animals/part-00002.parquet"),
    "a part of another task copied over": lambda run: shutil.copy(run / "tables/readouts/part-00000.parquet",
                                                                   run / "tables/readouts/part-00003.parquet"),
    "a task recorded twice": lambda run: (run / "manifest.jsonl").write_text(
        (run / "manifest.jsonl").read_text() + (run / "manifest.jsonl").read_text().splitlines()[0] + "\n"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damage_is_found_refused_by_readers_and_repaired_by_resume(finished, reference, damage):
    DAMAGE[damage](finished)
    _, problems = check(finished)
    assert problems, damage
    proc = _cli("check", str(finished))
    assert proc.returncode == 1 and str(problems[0]) in proc.stdout
    if damage != "a task recorded twice":  # doubled lines are harmless to readers: they read each task once
        with pytest.raises(DataError, match="damaged"):
            open_run(finished)
        validate = _cli("validate", str(finished))
        assert validate.returncode == 2 and validate.stderr.count("\n") == 1 and "damaged" in validate.stderr
    result, _ = resume(finished, progress=False, figure=False)
    assert check(finished)[1] == []
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(result, name), getattr(reference, name))


def test_resume_refuses_an_edited_job_record(finished):
    job = json.loads((finished / "job.json").read_text())
    job["spec"]["arms"][0]["genotype"] = "il6-ko"
    (finished / "job.json").write_text(json.dumps(job))
    with pytest.raises(DataError, match=r"arms\[0\]\.genotype changed .* job.json was edited"):
        resume(finished, progress=False)


def test_four_runs_and_a_reader_share_one_root(tmp_path, reference):
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(STUDY))
    runs = [subprocess.Popen([sys.executable, "-m", "immunomet", "run", "study.yaml", "--chunk-size", "1", "--quiet"],
                             cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(4)]
    seen = set()
    while any(r.poll() is None for r in runs):
        reader = _cli("runs", cwd=tmp_path)
        assert reader.returncode == 0 and "Traceback" not in reader.stderr, reader.stderr
        seen |= {line.split()[0] for line in reader.stdout.splitlines()[1:] if line.strip()}
    errors = [r.stderr.read() for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0, 0], errors
    table = Catalog(tmp_path / "runs").rebuild()
    assert len(table) == 4 and set(table["status"]) == {"complete"} and table["run_id"].nunique() == 4
    for path in table["path"]:
        _, result, _ = open_run(path)
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(result, name), getattr(reference, name))


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_the_run_as_interrupted_with_no_traceback_and_no_workers_left(tmp_path, sig, code):
    study = {**STUDY, "animals_per_arm": 40}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study))
    proc = subprocess.Popen([sys.executable, "-m", "immunomet", "run", "study.yaml", "--engine", "scipy", "--workers",
                             "2", "--chunk-size", "1", "--out", "runs/sig", "--quiet"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    manifest = tmp_path / "runs" / "sig" / "manifest.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not manifest.is_file() or manifest.read_text().count("\n") < 2):
        time.sleep(0.05)
    workers = _children(proc.pid)
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == code
    stderr = proc.stderr.read()
    assert "Traceback" not in stderr and stderr.count("\n") == 1 and "immunomet resume" in stderr, stderr
    prov = json.loads((tmp_path / "runs" / "sig" / "provenance.json").read_text())
    assert prov["status"] == "interrupted"
    time.sleep(0.5)
    assert workers and not any(_alive(pid) for pid in workers)


def test_a_killed_parent_leaves_no_workers(tmp_path):
    (tmp_path / "study.yaml").write_text(yaml.safe_dump({**STUDY, "animals_per_arm": 40}))
    proc = subprocess.Popen([sys.executable, "-m", "immunomet", "run", "study.yaml", "--engine", "scipy", "--workers",
                             "2", "--chunk-size", "1", "--out", "runs/kill", "--quiet"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = tmp_path / "runs" / "kill" / "manifest.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not manifest.is_file():
        time.sleep(0.05)
    workers = _children(proc.pid)
    proc.kill()
    proc.wait()
    time.sleep(1.0)
    assert workers and not any(_alive(pid) for pid in workers)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")
