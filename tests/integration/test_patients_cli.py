"""F8 on a virtual patient cohort, the published-cohort table, and the patients / trial commands."""
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from immunomet.analysis.dfs import PUBLISHED_COHORTS, beside_published, dfs_by_il6, serum_strata
from immunomet.analysis.findings import FINDINGS, check_findings
from immunomet.analysis.trials import schoenfeld_per_arm
from immunomet.studies import load_builtin_trial, plan_trial, run_trial

F8 = [f for f in FINDINGS if f.id == "F8"]


@pytest.fixture(scope="module")
def cohort():
    plan = plan_trial(load_builtin_trial("dfs_by_il6"))
    return run_trial(plan), plan


def test_f8_points_the_published_way_on_the_default_patient_cohort(cohort):
    """IL-6-low patients relapse less (hazard ratio below 1, the check's direction met). With the
    current patient defaults few patients relapse at all (3-year DFS about 0.99, a missed target:
    docs/patients.md), so one cohort of 500 does not always reach significance."""
    result, _ = cohort
    [f8] = check_findings(None, None, patients=result.patients, findings=F8)
    row = f8.criteria.iloc[0]
    assert row["estimate"] < 1 and bool(row["ok"]) and row["n_ref"] + row["n_arm"] == 500, f8.criteria.to_dict("records")


def test_f8_fails_when_the_strata_carry_no_information(cohort):
    """Negative control: the same patients with IL-6 labels shuffled, so the check can fail."""
    result, _ = cohort
    shuffled = result.patients.assign(il6_stratum=np.random.default_rng(0).permutation(result.patients["il6_stratum"]))
    [f8] = check_findings(None, None, patients=shuffled, findings=F8)
    assert f8.status == "FAIL"


def test_f8_is_not_run_without_patients():
    [f8] = check_findings(None, None, findings=F8)
    assert f8.status == "NOT RUN" and "patient cohort" in f8.reason


def test_published_table_has_every_cohort_and_the_same_model(cohort):
    result, plan = cohort
    table = beside_published(result.patients, lambda f: plan.population.tumour_il6.quantile(plan.model, 1 - f),
                             reps=50)
    assert list(table["study"]) == [c.study for c in PUBLISHED_COHORTS]
    assert table.loc[0, "published"] == "HR 1.81 (1.03-3.15)"
    serum = table["model split by"] == "serum IL-6"
    assert list(serum) == [c.stratifier == "serum" for c in PUBLISHED_COHORTS] and serum[0]  # Feng: serum
    assert (table.loc[~serum, "hr"] > 1).all()  # high tumour IL-6 relapses more
    # Feng's row is the cohort split by its serum samples, top 34%
    feng = dfs_by_il6(serum_strata(result.patients, 0.34))["hr"]["hr"]
    assert table.loc[0, "hr"] == pytest.approx(feng)
    # a run made before serum samples existed still gets its tumour rows
    old = beside_published(result.patients.drop(columns="serum_il6_measured"),
                           lambda f: plan.population.tumour_il6.quantile(plan.model, 1 - f), reps=50)
    assert old["model DFS HR"].iloc[0].startswith("-") and old.loc[~serum, "hr"].notna().all()


def test_schoenfeld_known_value():
    """Schoenfeld 1983: HR 0.7, two-sided alpha 0.05, power 0.8 -> 247 events; half relapsing -> 247 per arm."""
    n = 1000
    table = pd.DataFrame({"arm": ["c"] * n + ["t"] * n, "status": "success",
                          "survival_day": np.r_[np.arange(n), np.arange(n) / 0.7].astype(float),
                          "death": np.tile(np.r_[np.ones(n // 2, bool), np.zeros(n // 2, bool)], 2)})
    from immunomet.analysis.dfs import hazard_ratio_row

    hr = hazard_ratio_row(table, "t", "c")["hr"]
    expected = np.ceil(4 * (1.959964 + 0.841621) ** 2 / np.log(hr) ** 2 / 0.5 / 2)
    assert schoenfeld_per_arm(table, "c", "t", 0.8, 0.05) == expected


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "immunomet", *args], capture_output=True, text=True, cwd=cwd)


def test_patients_command_writes_tables_and_figures(tmp_path):
    out = tmp_path / "p"
    proc = _run("patients", "--patients", "120", "--out", str(out), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "IL-6 high vs low: HR" in proc.stdout and "Feng 2023" in proc.stdout
    assert "by a postoperative serum IL-6 sample instead: HR" in proc.stdout
    for name in ("patients.parquet", "dfs_by_il6.csv", "published_cohorts.csv", "dfs_by_il6.png", "tumour_il6.png"):
        assert (out / name).is_file()


def test_trial_command_runs_a_user_trial(tmp_path):
    spec = tmp_path / "trial.yaml"
    spec.write_text("name: mini\nseed: 2\npatients_per_arm: 30\nfollow_up_years: 3\narms:\n  - {name: control}\n"
                    "  - name: tocilizumab\n    treatments: [{agent: tocilizumab, dose: 560mg, start: 28, every: 28, "
                    "doses: 6}]\n")
    proc = _run("trial", str(spec), "--out", str(tmp_path / "t"), "--reps", "20", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "all patients" in proc.stdout and "Schoenfeld" in proc.stdout
    html = (tmp_path / "t" / "trial.html").read_text()
    assert all(f'id="{s}"' in html for s in ("summary", "design", "dfs", "comparisons", "power", "provenance"))


def test_trial_command_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\narms:\n  - {name: a, treatments: [{agent: aspirin, dose: 1mg, days: [1]}]}\n")
    proc = _run("trial", str(bad), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown agent 'aspirin'" in proc.stderr and "Traceback" not in proc.stderr
    missing = _run("trial", "nope.yaml", cwd=tmp_path)
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_optimize_command_writes_schedules_and_a_figure(tmp_path):
    proc = _run("optimize", "--goal", "nodules", "--individuals", "6", "--evaluations", "8", "--validation", "8",
                "--out", str(tmp_path / "o"), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "optimised #1" in proc.stdout and "best standard" in proc.stdout
    for name in ("schedules.csv", "trace.csv", "schedules.png"):
        assert (tmp_path / "o" / name).is_file()
    bad = _run("optimize", "--robust", "median", "--individuals", "2", "--evaluations", "2", cwd=tmp_path)
    assert bad.returncode == 2 and "cvar" in bad.stderr and "Traceback" not in bad.stderr


TRIAL_EXAMPLES = sorted((__import__("pathlib").Path(__file__).parents[2] / "examples" / "trials").glob("*.yaml"))


@pytest.mark.parametrize("example", TRIAL_EXAMPLES, ids=lambda p: p.stem)
def test_trial_examples_run_end_to_end(example, tmp_path):
    proc = _run("trial", str(example), "--patients", "20", "--reps", "10", "--out", str(tmp_path / "t"), "--quiet",
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "t" / "trial.html").is_file()
