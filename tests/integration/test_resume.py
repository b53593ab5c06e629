"""Interrupted runs: SIGKILL mid-way, resume, and get exactly the tables of an uninterrupted run;
edits of the spec after the start are refused; half-written tasks are invisible."""
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from immunomet.errors import DataError
from immunomet.store import Catalog, RunFolder, RunFolderSink, open_run, resume
from immunomet.studies import StudyJob, parse_study, plan_study, run_study

STUDY = {
    "name": "resumable",
    "seed": 12,
    "animals_per_arm": 6,
    "readout_days": [21],
    "follow_up": 21,
    "arms": [{"name": f"arm {k}", "genotype": "il6-ko" if k % 2 else "wt"} for k in range(5)],
}
TABLES = ("animals", "readouts", "timecourses", "parameters")


def test_a_killed_run_resumes_without_losing_or_doubling_animals(tmp_path):
    study_file = tmp_path / "study.yaml"
    study_file.write_text(yaml.safe_dump(STUDY))
    run_dir = tmp_path / "runs" / "killed"
    cmd = [sys.executable, "-m", "immunomet", "run", str(study_file), "--engine", "scipy", "--workers", "1",
           "--chunk-size", "1", "--quiet", "--out", str(run_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = run_dir / "manifest.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not manifest.is_file() or manifest.read_text().count("\n") < 4):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    folder = RunFolder(run_dir)
    done_before = folder.completed_tasks()
    assert 4 <= len(done_before) < 30, "the run was not interrupted mid-way"
    assert folder.read_provenance()["status"] == "running"
    assert Catalog(run_dir.parent).runs()["status"].tolist() == ["killed"]  # its process is gone
    assert len(open_run(run_dir)[1].animals) == len(done_before)  # readers see only finished tasks

    resumed = subprocess.run([sys.executable, "-m", "immunomet", "resume", str(run_dir), "--workers", "1", "--quiet"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    _, final, _ = open_run(run_dir)
    reference = run_study(plan_study(parse_study(STUDY)).with_engine("scipy"), workers=1)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(final, name), getattr(reference, name), check_dtype=False)
    assert final.animals.groupby(["arm", "animal"]).size().eq(1).all() and len(final.animals) == 30
    assert folder.completed_tasks() == set(range(30))
    assert Catalog(run_dir.parent).runs()["status"].tolist() == ["complete"]


def test_resume_refuses_a_study_edited_after_the_start(tmp_path):
    plan = plan_study(parse_study({**STUDY, "animals_per_arm": 1, "arms": STUDY["arms"][:2]}))
    sink = RunFolderSink.create(StudyJob(plan), tmp_path, tmp_path / "edited")  # started, nothing run yet
    spec = yaml.safe_load((sink.folder.path / "study.yaml").read_text())
    spec["arms"][1]["genotype"] = "wt"
    (sink.folder.path / "study.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(DataError, match=r"arms\[1\]\.genotype changed \('il6-ko' -> 'wt'\)"):
        resume(sink.folder.path, progress=False)


def test_parts_of_an_unfinished_task_are_invisible(tmp_path):
    plan = plan_study(parse_study({**STUDY, "animals_per_arm": 1, "arms": STUDY["arms"][:2]}))
    job = StudyJob(plan)
    folder = RunFolder.create("partial", tmp_path)
    folder.write_task(0, job.run_task(job.tasks()[0]))
    half = job.run_task(job.tasks()[1])
    pq.write_table(half["readouts"], folder.path / "tables" / "readouts" / "part-00001.parquet")  # killed mid-task
    assert folder.completed_tasks() == {0}
    assert set(folder.read_tables(job.schemas())["readouts"]["arm"].to_pylist()) == {"arm 0"}
