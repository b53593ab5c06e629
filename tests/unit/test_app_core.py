"""The app's parts that need no browser: the form's checks land on the field they name, the YAML is
what the CLI reads, background tasks report, cancel (an interrupted run that resume finishes), fail
in one line and run side by side without mixing; without the extra, ``immunomet app`` is one line."""
import dataclasses
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from immunomet.app.background import CANCELLED, DONE, FAILED, Task, chunk_size_for, study_task
from immunomet.app.form import ArmForm, StudyForm, check_form, check_mouse, spec_yaml
from immunomet.errors import SpecError
from immunomet.store import open_run, resume
from immunomet.studies import parse_study, plan_study, run_study

FORM = StudyForm(name="tiny", animals="3", follow_up="10", readout_days="9",
                 arms=(ArmForm("iso", "il6-ko", "isotype:200ug@d4"), ArmForm("pdl1", "il6-ko", "anti-pdl1:200ug@d4")))


@pytest.mark.parametrize("edit, field, words", [
    ({"seed": "1.5"}, "seed", "not a whole number"),
    ({"animals": "0"}, "animals", "greater than or equal to 1"),
    ({"readout_days": "9, x"}, "readout_days", "'x' is not a number"),
    ({"readout_days": "12"}, "readout_days", "after the end of follow-up"),
    ({"name": "a b"}, "name", "pattern"),
    ({"cells": "0"}, "cells", "greater than 0"),
    ({"arms": (ArmForm("a", "wt", "anti-foo:1ug@d1"),)}, "arm0_treatments", "unknown agent 'anti-foo'"),
    ({"arms": (ArmForm("a", "wt", "anti-pdl1:1ug@d11"),)}, "arm0_treatments", "after the end of follow-up"),
    ({"arms": (ArmForm("a", "mouse", ""),)}, "arm0_genotype", "unknown genotype"),
    ({"arms": (ArmForm("a", "wt", ""), ArmForm("a", "wt", ""))}, "arm1_name", "used twice"),
    ({"arms": ()}, "study", "arms"),
])
def test_each_error_lands_on_the_field_it_names(edit, field, words):
    check = check_form(dataclasses.replace(FORM, **edit))
    assert not check.ok and list(check.errors) == [field] and words in check.errors[field]


def test_the_yaml_is_the_study_the_cli_runs():
    check = check_form(FORM)
    assert check.ok
    again = plan_study(parse_study(yaml.safe_load(spec_yaml(check.spec))))
    assert again.spec == check.plan.spec and again.seed == check.plan.seed


def test_one_mouse_checks_name_their_field():
    assert check_mouse("wt", "anti-pdl1:200ug@d7", "40", "1e5", "0").errors == {}
    assert "unknown agent" in check_mouse("wt", "anti-x:1ug@d1", "40", "1e5", "0").errors["mouse_treatments"]
    assert list(check_mouse("wt", "", "40", "1e12", "0").errors) == ["mouse_cells"]
    assert list(check_mouse("wt", "", "0", "1e5", "0").errors) == ["mouse_days"]


def _wait(task: Task, timeout: float = 120.0):
    task.thread.join(timeout)
    return task.snapshot()


def test_two_studies_at_once_do_not_mix(tmp_path):
    plans = [check_form(dataclasses.replace(FORM, name=f"s{seed}", seed=str(seed))).plan for seed in (1, 2)]
    tasks = [study_task(plan, tmp_path) for plan in plans]
    for plan, task in zip(plans, tasks):
        snap = _wait(task)
        assert snap.state == DONE and snap.done == snap.total == plan.n_animals
        result, folder = snap.result
        pd.testing.assert_frame_equal(result.readouts, run_study(plan).readouts)
        assert folder.path.parent == tmp_path and (folder.path / "figure.png").is_file()


def test_a_cancelled_study_is_an_interrupted_run_that_resume_finishes(tmp_path):
    plan = check_form(dataclasses.replace(FORM, animals="24")).plan
    assert chunk_size_for(plan.n_animals) == 8  # 6 tasks: cancel is heard after the first
    task = study_task(plan, tmp_path)
    task.cancel.set()
    snap = _wait(task)
    assert snap.state == CANCELLED and "kept in" in snap.message
    folder = next(tmp_path.glob("tiny-*"))
    assert open_run(folder)[1].provenance["status"] == "interrupted"
    result, _ = resume(folder, progress=False, figure=False)
    pd.testing.assert_frame_equal(result.readouts, run_study(plan).readouts)


def test_a_failing_task_is_one_line():
    def user_error(task):
        raise SpecError("arms[0].genotype: unknown genotype 'x'")

    def bug(task):
        raise ValueError("boom\nsecond line")

    assert _wait(Task("a", user_error).start()).message == "arms[0].genotype: unknown genotype 'x'"
    snap = _wait(Task("b", bug).start())
    assert snap.state == FAILED and snap.message == "ValueError: boom"


def test_the_app_without_its_extra_is_one_error_line():
    code = ("import sys; sys.modules['shiny'] = None; from immunomet.cli.main import main; "
            "sys.exit(main(['app', '--port', '8799']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "pip install 'immunomet[app]'" in proc.stderr and "Traceback" not in proc.stderr
