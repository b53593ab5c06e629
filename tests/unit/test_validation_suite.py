"""The out-of-sample validation suite: the criterion format, the checks on synthetic results (PASS
when the effect is there, FAIL when the arms are swapped), every experiment of validation/ parsing
and planning, and one tiny end-to-end run."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from immunomet.analysis.validation_criteria import evaluate_check, parse_criterion, tost_ratio_p
from immunomet.analysis.validation_suite import (
    discover, load_criterion, load_experiment, run_experiment, run_suite)
from immunomet.errors import SpecError
from immunomet.studies import StudyResult

SUITE = Path(__file__).resolve().parents[2] / "validation"

HIGHER = {"id": "bigger", "kind": "higher", "readout": "tumour_volume", "day": 14, "arm": "treated",
          "reference": "control"}


def _criterion(*checks):
    return {"claim": "a claim", "source": "a source", "checks": list(checks)}


# --- the format ---------------------------------------------------------------------------------

def test_a_criterion_parses_with_defaults():
    spec = parse_criterion(_criterion(HIGHER), "c.yaml")
    check = spec.checks[0]
    assert (check.study, check.alpha, check.kind) == ("study.yaml", 0.05, "higher")


@pytest.mark.parametrize("change, message", [
    ({"kind": "bigger"}, "c.yaml: checks[0].kind: must be one of"),
    ({"alpha": 0.7}, "c.yaml: checks[0].alpha:"),
    ({"colour": "red"}, "c.yaml: checks[0].colour: unknown field"),
    ({"kind": "similar"}, "c.yaml: checks[0].margin: required when kind is similar"),
    ({"kind": "similar", "margin": [1.2, 1.5]}, "c.yaml: checks[0].margin: a ratio margin [low, high] needs"),
    ({"reference": None}, "c.yaml: checks[0].reference: required when kind is higher"),
    ({"range": [0, 1]}, "c.yaml: checks[0].range: not used when kind is higher"),
    ({"ratio": [3, 2]}, "c.yaml: checks[0].ratio: give [low, high] with low <= high"),
    ({"day": 0}, "c.yaml: checks[0].day: must be after the injection"),
    ({"study": "../x.yaml"}, "c.yaml: checks[0].study:"),
])
def test_a_bad_check_is_one_line_naming_the_file_and_field(change, message):
    check = {k: v for k, v in {**HIGHER, **change}.items() if v is not None}
    with pytest.raises(SpecError) as err:
        parse_criterion(_criterion(check), "c.yaml")
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_missing_checks_and_repeated_ids_are_named():
    with pytest.raises(SpecError, match=r"^c.yaml: checks: required field missing"):
        parse_criterion({"claim": "x", "source": "y"}, "c.yaml")
    with pytest.raises(SpecError, match=r"^c.yaml: checks\[1\].id: 'bigger' is used twice"):
        parse_criterion(_criterion(HIGHER, HIGHER), "c.yaml")


def test_a_bad_criterion_file_names_the_file(tmp_path):
    path = tmp_path / "criterion.yaml"
    path.write_text("claim: x\nsource: y\nchecks:\n  - {id: a, kind: lower, arm: b}\n")
    with pytest.raises(SpecError, match=r"criterion.yaml: checks\[0\].reference: required when kind is lower"):
        load_criterion(path)
    path.write_text("claim: [x\n")
    with pytest.raises(SpecError, match="criterion.yaml: not valid YAML"):
        load_criterion(path)


def test_a_check_naming_an_unknown_arm_or_readout_fails_at_load(tmp_path):
    _tiny_experiment(tmp_path, dict(HIGHER, arm="nobody"))
    with pytest.raises(SpecError, match=r"checks\[0\].arm: no arm 'nobody' in study.yaml; arms: control, treated"):
        load_experiment(tmp_path)
    _tiny_experiment(tmp_path, dict(HIGHER, readout="visible_nodules"))
    with pytest.raises(SpecError, match=r"checks\[0\].readout: 'visible_nodules' is not measured in study.yaml"):
        load_experiment(tmp_path)
    _tiny_experiment(tmp_path, dict(HIGHER, day=21))
    with pytest.raises(SpecError, match=r"checks\[0\].day: arm 'treated' of study.yaml is not read on day 21"):
        load_experiment(tmp_path)


# --- the checks on synthetic results --------------------------------------------------------------

def _result(groups: dict, *, day=14.0, readout="tumour_volume", deaths=None, tumour_free=None) -> StudyResult:
    """A StudyResult with the given readout values per arm (deaths: animals past the end point)."""
    animals, readouts = [], []
    for arm, values in groups.items():
        for i, v in enumerate(values):
            dead = (deaths or {}).get(arm, set())
            animals.append({"arm": arm, "part": "tumour growth", "animal": i, "genotype": "wt", "status": "success",
                            "message": "", "survival_day": 5.0 + i if i in dead else 30.0 + i,
                            "death": i in dead or v > 1e3,
                            "tumour_free": bool((tumour_free or {}).get(arm, 0) > i), "seed_key": ""})
            readouts.append({"arm": arm, "animal": i, "day": day, readout: np.nan if i in dead else v})
    empty = pd.DataFrame({"arm": [], "animal": []})
    return StudyResult(pd.DataFrame(animals), pd.DataFrame(readouts), empty, empty,
                       {"arms": list(groups), "humane_endpoint": {"observable": "tumour_volume", "above": 1500.0}})


def _check(**fields):
    return parse_criterion(_criterion({**HIGHER, **fields}), "c.yaml").checks[0]


SMALL = [10.0, 12, 9, 11, 13, 10.5, 12.5, 9.5]
LARGE = [30.0, 35, 28, 33, 40, 31, 36, 29]


def test_higher_passes_with_the_effect_and_fails_with_the_arms_swapped():
    data = _result({"control": SMALL, "treated": LARGE})
    ok = evaluate_check(_check(), data)
    assert ok.passed is True and ok.p < 0.001 and ok.detail["ratio"] == pytest.approx(np.median(LARGE) / np.median(SMALL))
    swapped = evaluate_check(_check(), _result({"control": LARGE, "treated": SMALL}))
    assert swapped.passed is False and swapped.p > 0.99
    lower = evaluate_check(_check(kind="lower"), _result({"control": LARGE, "treated": SMALL}))
    assert lower.passed is True


def test_the_ratio_range_is_part_of_the_verdict():
    data = _result({"control": SMALL, "treated": LARGE})  # ratio about 2.9
    assert evaluate_check(_check(ratio=[2, 12.5]), data).passed is True
    assert evaluate_check(_check(ratio=[4, 12.5]), data).passed is False


def test_similar_is_an_equivalence_test_not_a_failed_difference():
    rng = np.random.default_rng(1)
    base = rng.lognormal(np.log(100), 0.1, 30)
    same = _result({"control": base, "treated": base * rng.lognormal(0, 0.05, 30)})
    assert evaluate_check(_check(kind="similar", margin=[0.67, 1.5]), same).passed is True
    apart = _result({"control": base, "treated": 3 * base})
    assert evaluate_check(_check(kind="similar", margin=[0.67, 1.5]), apart).passed is False
    few = _result({"control": base[:3], "treated": base[3:6]})  # too few animals cannot show equivalence
    assert evaluate_check(_check(kind="similar", margin=[0.67, 1.5]), few).passed is False
    assert tost_ratio_p(base, base, 0.67, 1.5) < 0.05 < tost_ratio_p(base, base, 0.99, 1.01)


def test_animals_past_the_end_point_count_as_the_largest_tumours():
    # the treated arm's two largest tumours reached the end point before the readout: dropping them
    # would make the arm look smaller; counting them as the largest keeps the arms apart
    data = _result({"control": SMALL, "treated": SMALL[:6] + [0, 0]}, deaths={"treated": {6, 7}})
    result = evaluate_check(_check(), data)
    assert result.detail["at_end_point_arm"] == 2
    assert result.detail["n_arm"] == 8
    flow = _result({"control": SMALL, "treated": SMALL[:6] + [0, 0]}, readout="pdl1_mfi", deaths={"treated": {6, 7}})
    dropped = evaluate_check(_check(readout="pdl1_mfi"), flow)
    assert dropped.detail["n_arm"] == 6 and dropped.detail["at_end_point_arm"] == 0


def test_a_missing_arm_is_not_run_with_the_reason():
    result = evaluate_check(_check(arm="ghost"), _result({"control": SMALL, "treated": LARGE}))
    assert result.passed is None and "ghost" in result.reason


def test_survival_longer_and_its_swap():
    rng = np.random.default_rng(2)
    rows = []
    for arm, mean in (("control", 20.0), ("treated", 45.0)):
        for i, t in enumerate(rng.normal(mean, 3.0, 10)):
            rows.append({"arm": arm, "part": "survival", "animal": i, "genotype": "wt", "status": "success",
                         "message": "", "survival_day": min(t, 60.0), "death": t < 60, "tumour_free": False,
                         "seed_key": ""})
    empty = pd.DataFrame({"arm": [], "animal": []})
    data = StudyResult(pd.DataFrame(rows), empty, empty, empty, {"arms": ["control", "treated"]})
    check = parse_criterion(_criterion({"id": "s", "kind": "longer", "arm": "treated", "reference": "control"}),
                            "c.yaml").checks[0]
    ok = evaluate_check(check, data)
    assert ok.passed is True and ok.detail["hr"] < 1
    swapped = check.model_copy(update={"arm": "control", "reference": "treated"})
    assert evaluate_check(swapped, data).passed is False


def test_range_of_tumour_free_share():
    data = _result({"control": SMALL, "treated": LARGE}, tumour_free={"treated": 3})
    check = parse_criterion(_criterion({"id": "r", "kind": "range", "statistic": "tumour_free", "arm": "treated",
                                        "range": [0, 0.5]}), "c.yaml").checks[0]
    result = evaluate_check(check, data)
    assert result.passed is True and result.detail["value"] == pytest.approx(3 / 8)
    assert evaluate_check(check.model_copy(update={"range": (0.5, 1.0)}), data).passed is False


# --- the suite's own experiments -------------------------------------------------------------------

EXPERIMENTS = discover(SUITE)


def test_the_suite_has_at_least_ten_experiments_each_documented():
    assert len(EXPERIMENTS) >= 10
    for folder in EXPERIMENTS:
        assert (folder / "criterion.md").is_file() and (folder / "study.yaml").is_file(), folder.name


@pytest.mark.parametrize("folder", EXPERIMENTS, ids=lambda p: p.name)
def test_every_experiment_parses_and_plans(folder):
    experiment = load_experiment(folder)
    assert experiment.plans and all(p.n_animals > 0 for p in experiment.plans.values())
    text = (folder / "criterion.md").read_text()
    for section in ("## Claim", "## Test and pass criterion", "## Fair to the model", "## History"):
        assert section in text, f"{folder.name}/criterion.md lacks {section}"


# --- one tiny end-to-end run ------------------------------------------------------------------------

def _tiny_experiment(folder: Path, check: dict, animals: int = 3) -> None:
    study = {"name": "tiny", "seed": 7, "injection": {"route": "subcutaneous", "cells": 5.0e5},
             "animals_per_arm": animals, "readout_days": [14], "follow_up": 14,
             "arms": [{"name": "control"}, {"name": "treated", "treatments": ["anti-cd8:200ug@d-1,d3,d7,d10"]}]}
    (folder / "study.yaml").write_text(yaml.safe_dump(study))
    (folder / "criterion.yaml").write_text(yaml.safe_dump(_criterion(check)))


def test_a_tiny_experiment_runs_end_to_end_and_writes_its_result(tmp_path):
    folder = tmp_path / "tiny_cd8"
    folder.mkdir()
    _tiny_experiment(folder, HIGHER)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "criterion.yaml").write_text("claim: x\nsource: y\nchecks: []\n")
    suite = run_suite(tmp_path, engine="scipy", note="test run")
    verdicts = {e.name: e for e in suite.experiments}
    assert verdicts["broken"].verdict == "NOT RUN" and "checks" in verdicts["broken"].reason
    tiny = verdicts["tiny_cd8"]
    assert tiny.verdict in ("PASS", "FAIL") and tiny.checks[0].detail["n_arm"] == 3
    text = (folder / "result.md").read_text()
    assert f"**Verdict: {tiny.verdict}**" in text and suite.model_hash in text and "test run" in text
    assert "tiny_cd8" in str(suite) and "pass rate" in str(suite)
    again = run_experiment(load_experiment(folder), engine="scipy")
    assert again.checks[0].p == tiny.checks[0].p  # a fixed seed gives the same verdict


def test_an_internal_error_is_not_run_with_its_type_and_the_suite_goes_on(tmp_path, monkeypatch):
    import immunomet.analysis.validation_suite as suite_module

    for name in ("a_first", "b_second"):
        (tmp_path / name).mkdir()
        _tiny_experiment(tmp_path / name, HIGHER)

    def broken(experiment, **kwargs):
        if experiment.name == "a_first":
            raise KeyError("a column")
        return suite_module.ExperimentResult(experiment.name, "PASS")

    monkeypatch.setattr(suite_module, "run_experiment", broken)
    suite = run_suite(tmp_path, write=False)
    first, second = suite.experiments
    assert first.verdict == "NOT RUN" and first.reason == "internal error: KeyError: 'a column'"
    assert second.verdict == "PASS" and suite.exit_code == 1
