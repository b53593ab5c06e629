"""Chunks on a real Dask cluster (distributed.LocalCluster, 2 worker processes): same tables as
one local worker or two, streamed into the run store."""
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from immunomet.store import Catalog, open_run
from immunomet.studies import parse_study, plan_study, run_study

distributed = pytest.importorskip("distributed")

STUDY = {"name": "on-dask", "seed": 5, "animals_per_arm": 3, "readout_days": [21], "follow_up": 21,
         "arms": [{"name": "WT"}, {"name": "KO", "genotype": "il6-ko"},
                  {"name": "KO anti-PD-L1", "genotype": "il6-ko", "treatments": ["anti-pdl1:200ug@d8,d11"]}]}
TABLES = ("animals", "readouts", "timecourses", "parameters")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def test_one_worker_two_workers_and_dask_give_identical_tables(cluster):
    plan = plan_study(parse_study(STUDY)).with_engine("scipy")
    one = run_study(plan, workers=1, chunk_size=1)
    two = run_study(plan, workers=2, chunk_size=2)
    dask = run_study(plan, chunk_size=4, scheduler=cluster.scheduler_address)
    for other in (two, dask):
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(one, name), getattr(other, name))
    assert dask.provenance["scheduler"] == cluster.scheduler_address


def test_cli_streams_dask_results_into_the_run_store(cluster, tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump(STUDY))
    out = tmp_path / "runs" / "dask-run"
    proc = subprocess.run([sys.executable, "-m", "immunomet", "run", str(study), "--scheduler",
                           cluster.scheduler_address, "--chunk-size", "2", "--quiet", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"Dask at {cluster.scheduler_address}" in proc.stdout
    _, result, folder = open_run(out)
    assert len(result.animals) == 9
    assert folder.completed_tasks() == set(range(6))  # 3 arms x 2 chunks of at most 2 animals
    assert Catalog(out.parent).runs()["run_id"].tolist() == ["dask-run"]


def test_a_bad_scheduler_address_is_one_line():
    proc = subprocess.run([sys.executable, "-m", "immunomet", "reproduce", "--scheduler", "my-cluster"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "tcp://HOST:8786" in proc.stderr
