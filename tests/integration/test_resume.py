"""Interrupted runs: SIGKILL mid-way, resume, and get exactly the tables of an uninterrupted run."""
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import yaml

from immunomet.store import Catalog, RunFolder
from immunomet.studies import parse_study, plan_study, run_study

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
    parts = run_dir / "tables" / "animals"
    deadline = time.time() + 120
    while time.time() < deadline and (not parts.is_dir() or len(list(parts.glob("part-*"))) < 4):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    folder = RunFolder(run_dir)
    done_before = folder.completed_chunks()
    assert 4 <= len(done_before) < 30, "the run was not interrupted mid-way"
    assert folder.read_provenance()["status"] == "running"
    assert len(folder.load_result().animals) == len(done_before)  # readers see only finished chunks

    resumed = subprocess.run([sys.executable, "-m", "immunomet", "resume", str(run_dir), "--workers", "1", "--quiet"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    final = folder.load_result()
    reference = run_study(plan_study(parse_study(STUDY)), workers=1)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(final, name), getattr(reference, name), check_dtype=False)
    assert final.animals.groupby(["arm", "animal"]).size().eq(1).all() and len(final.animals) == 30
    chunks = Catalog(run_dir.parent).chunks("killed")
    assert sorted(chunks["chunk"]) == list(range(30))
    assert Catalog(run_dir.parent).runs()["status"].tolist() == ["complete"]


def test_parts_of_an_unfinished_chunk_are_invisible(tmp_path):
    plan = plan_study(parse_study({**STUDY, "animals_per_arm": 1, "arms": STUDY["arms"][:2]}))
    result = run_study(plan)
    folder = RunFolder.create("partial", tmp_path)
    folder.write_provenance({"arms": [a.name for a in plan.arms]})
    one = {name: getattr(result, name)[getattr(result, name)["arm"] == "arm 0"] for name in TABLES}
    folder.write_chunk(0, one)
    half = {name: getattr(result, name)[getattr(result, name)["arm"] == "arm 1"] for name in TABLES}
    half["readouts"].to_parquet(folder.path / "tables" / "readouts" / "part-00001.parquet")  # killed before animals
    assert folder.completed_chunks() == {0}
    assert set(folder.read_table("readouts")["arm"]) == {"arm 0"}
