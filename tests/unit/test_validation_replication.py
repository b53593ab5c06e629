"""Rerunning the validation suite with other seeds (analysis.validation_replication): how often each
pre-registered experiment passes, not one run's verdict."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from immunomet.analysis.validation_replication import replicate_suite
from immunomet.analysis.validation_suite import load_experiment, run_experiment
from immunomet.errors import SpecError

SUITE = Path(__file__).resolve().parents[2] / "validation"
ONE = "li2018_il6_pdl1_combination"


@pytest.fixture(scope="module")
def rerun():
    return replicate_suite(SUITE, seeds=(1, 2, 3), names=[ONE])


def test_each_seed_is_a_new_experiment_with_the_same_design():
    experiment = load_experiment(SUITE / ONE)
    [(name, plan)] = experiment.plans.items()
    runs = [run_experiment(type(experiment)(experiment.name, experiment.folder, experiment.criterion,
                                            {name: plan.with_seed(s)}))
            for s in (1, 2)]
    assert runs[0].checks[0].effect != runs[1].checks[0].effect
    assert [s["animals"] for s in runs[0].studies.values()] == [s["animals"] for s in runs[1].studies.values()]


def test_the_table_counts_passes_with_a_wilson_interval(rerun):
    [row] = rerun.experiments.to_dict("records")
    assert row["experiment"] == ONE and row["runs"] == 3 and row["not_run"] == 0
    ci = stats.binomtest(row["passes"], 3).proportion_ci(method="wilson")
    assert row["probability"] == pytest.approx(row["passes"] / 3)
    assert (row["low"], row["high"]) == pytest.approx((ci.low, ci.high))
    assert set(rerun.checks["experiment"]) == {ONE} and (rerun.checks["runs"] == 3).all()
    assert rerun.passing_per_run.shape == (3,) and rerun.expected_passes() == pytest.approx(row["passes"] / 3)
    assert "rerun with seeds 1-3" in str(rerun)


def test_the_same_seeds_give_the_same_table(rerun):
    again = replicate_suite(SUITE, seeds=(1, 2, 3), names=[ONE])
    assert again.experiments.equals(rerun.experiments)
    assert np.array_equal(again.passing_per_run, rerun.passing_per_run)


def test_an_experiment_that_cannot_load_is_not_run_and_the_result_files_stay(tmp_path):
    shutil.copytree(SUITE / ONE, tmp_path / ONE)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "criterion.yaml").write_text("claim: x\n")
    before = (tmp_path / ONE / "result.md").read_text()
    rerun = replicate_suite(tmp_path, seeds=(1,))
    broken = rerun.experiments.set_index("experiment").loc["broken"]
    assert broken["runs"] == 0 and broken["not_run"] == 1 and np.isnan(broken["probability"])
    assert (tmp_path / ONE / "result.md").read_text() == before
    with pytest.raises(SpecError):
        replicate_suite(tmp_path, seeds=())


def test_the_command_reruns_the_suite_and_refuses_seeds_without_it(tmp_path):
    shutil.copytree(SUITE / ONE, tmp_path / ONE)
    run = lambda *a: subprocess.run([sys.executable, "-m", "immunomet", *a], capture_output=True, text=True,  # noqa: E731
                                    cwd=tmp_path)
    proc = run("validate", "--suite", str(tmp_path), "--seeds", "2", "--quiet")
    assert proc.returncode == 0 and "rerun with seeds 1-2 (2 runs per experiment)" in proc.stdout, proc.stderr
    proc = run("validate", "--seeds", "2", "--no-replication")
    assert proc.returncode == 2 and "--suite" in proc.stderr and proc.stderr.count("\n") == 1
