"""Study specs, plans and the runner: validation, determinism, results."""
import numpy as np
import pandas as pd
import pytest

from immunomet.errors import SpecError
from immunomet.store import Catalog, execute_study, open_run
from immunomet.studies import StudySpec, load_builtin, parse_study, plan_study, run_study

SMALL = {
    "name": "small",
    "seed": 3,
    "animals_per_arm": 3,
    "readout_days": [14, 21],
    "follow_up": 21,
    "arms": [
        {"name": "WT", "treatments": ["isotype:200ug@d8,d11"]},
        {"name": "KO", "genotype": "il6-ko"},
        {"name": "KO anti-PD-L1", "genotype": "il6-ko",
         "treatments": [{"agent": "anti-pdl1", "dose": "0.2 mg", "days": "d8,d11"}]},
    ],
}


def _spec(**changes):
    return parse_study({**SMALL, **changes}, "test.yaml")


@pytest.fixture(scope="module")
def small_plan():
    return plan_study(_spec()).with_engine("scipy")


@pytest.fixture(scope="module")
def reference(small_plan):
    return run_study(small_plan, workers=1, chunk_size=1)


def test_same_seed_same_tables_whatever_the_chunks_or_workers(small_plan, reference, tmp_path):
    parallel = run_study(small_plan, workers=2, chunk_size=2)
    stored, folder = execute_study(small_plan, root=tmp_path, workers=2, chunk_size=3, progress=False, figure=False)
    for other in (parallel, stored):
        for name in ("animals", "readouts", "timecourses", "parameters"):
            pd.testing.assert_frame_equal(getattr(reference, name), getattr(other, name), check_dtype=False)


def test_another_seed_gives_other_animals(small_plan, reference):
    other = run_study(small_plan.with_seed(4), workers=1)
    assert not reference.parameters["kill_max"].equals(other.parameters["kill_max"])


def test_tables_hold_every_animal_readout_and_day(reference):
    assert len(reference.animals) == 9 and (reference.animals["status"] == "success").all()
    wide = reference.wide()
    assert set(wide["day"]) == {14.0, 21.0} and len(wide) == 18
    assert {"visible_nodules", "liver_weight", "perforin_of_cd8", "serum_il6"} <= set(wide.columns)
    summary = reference.summary()
    assert list(summary["arm"].unique()) == ["WT", "KO", "KO anti-PD-L1"]
    text = str(reference)
    assert "[colonisation]" in text and "KO anti-PD-L1" in text


def test_run_folder_reloads_and_the_catalog_records_the_run(small_plan, reference, tmp_path):
    result, folder = execute_study(small_plan.with_animals(1), root=tmp_path, progress=False, figure=True)
    _, again, _ = open_run(folder.path)
    pd.testing.assert_frame_equal(result.readouts, again.readouts)
    assert (folder.path / "figure.png").read_bytes()[:4] == b"\x89PNG"
    runs = Catalog(tmp_path).runs()
    assert list(runs["status"]) == ["complete"] and runs["individuals"].iloc[0] == 3
    assert runs["kind"].iloc[0] == "study" and runs["name"].iloc[0] == "small"
    assert "animals_per_arm: 1" in (folder.path / "study.yaml").read_text()
    indexed = Catalog(tmp_path).rebuild()  # the catalog is an index of the folders
    assert list(indexed["run_id"]) == [folder.run_id]


def test_a_run_folders_tables_are_read_only_when_first_used(small_plan, reference, tmp_path, monkeypatch):
    """A large run returns at once: its tables stay in the folder until something asks for them."""
    from immunomet.store.run_folder import RunFolder

    reads = []
    read_pandas = RunFolder.read_pandas
    monkeypatch.setattr(RunFolder, "read_pandas",
                        lambda self, schemas, *tasks: reads.extend(schemas) or read_pandas(self, schemas, *tasks))
    stored, folder = execute_study(small_plan, root=tmp_path, chunk_size=3, progress=False, figure=False)
    assert reads == []
    pd.testing.assert_frame_equal(stored.timecourses, reference.timecourses, check_dtype=False)
    stored.timecourses  # noqa: B018 - read once, then kept
    assert reads == ["timecourses"]
    from immunomet.store import open_run

    reads.clear()
    _, opened, _ = open_run(folder.path)  # a reader of a folder reads it whole, at once
    assert sorted(reads) == ["animals", "parameters", "readouts", "timecourses"]


def test_builtin_study_has_every_arm_of_the_paper():
    plan = plan_study(load_builtin("toyoshima2019"))
    names = [a.name for a in plan.arms]
    for genotype in ("WT", "Il6-/-"):
        for arm in ("isotype", "anti-CD8", "anti-IFNAR1", "anti-IL-12", "anti-PD-L1"):
            assert f"{genotype} {arm}" in names
        assert f"{genotype} survival anti-PD-L1" in names
    assert {a.part for a in plan.arms} == {"colonisation", "survival", "predictions"}


@pytest.mark.parametrize("changes, message", [
    ({"arms": [{"name": "a", "treatments": ["anti-ctla4:200ug@d7"]}]}, "arms[0].treatments[0].agent: unknown agent 'anti-ctla4'"),
    ({"arms": [{"name": "a", "treatments": [{"agent": "anti-pdl1", "dose": -5, "days": [7]}]}]},
     "arms[0].treatments[0].dose: must be >= 0"),
    ({"readout_days": [30]}, "readout_days: day 30 is after the end of follow-up (day 21)"),
    ({"arms": [{"name": "a", "genotype": "il6-ki"}]}, "arms[0].genotype: unknown genotype 'il6-ki'"),
    ({"arms": [{"name": "a", "treatments": ["anti-pdl1:200ug@d30"]}]}, "arms[0].treatments[0].days: day 30 is after"),
    ({"parameters": {"kill_max": 99}}, "parameters.kill_max: 99 is outside its prior range"),
    ({"parameters": {"kil_max": 3}}, "parameters.kil_max: unknown parameter; did you mean 'kill_max'"),
    ({"arms": [{"name": "a"}, {"name": "a"}]}, "'a' is used twice"),
    ({"arms": [{"name": "a", "dose": 3}]}, "arms[0].dose: unknown field; allowed: name, genotype, treatments"),
    ({"injection": {"route": "oral"}}, "injection.route: must be one of 'intrasplenic'"),
    ({"humane_endpoint": {"observable": "tumor_burden"}}, "did you mean 'tumour_burden'"),
])
def test_bad_specs_name_the_field_and_the_fix(changes, message):
    with pytest.raises(SpecError) as err:
        plan_study(_spec(**changes))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_cell_line_overrides_edit_the_model_and_may_widen_its_range():
    plan = plan_study(_spec(cell_line={"name": "CT26-IL6", "il6_secretion": 1e-4, "growth_rate": 0.5}))
    p = plan.model.parameters
    assert p.value("p_il6_tumour") == 1e-4 and p["p_il6_tumour"].prior[1] == 1e-4
    assert "CT26-IL6" in p["p_il6_tumour"].source
    assert p.value("r_tumour") == 0.5


def test_json_schema_describes_the_study_fields():
    schema = StudySpec.model_json_schema()
    assert {"name", "arms", "injection", "cell_line", "readout_days", "humane_endpoint"} <= set(schema["properties"])


def test_mice_past_the_end_point_are_not_measured_later():
    spec = parse_study({"name": "sc", "injection": {"route": "subcutaneous", "cells": 5e5}, "animals_per_arm": 2,
                        "readout_days": [7, 40], "follow_up": 45, "arms": [{"name": "WT"}]})
    result = run_study(plan_study(spec))
    assert result.animals["death"].all() and (result.animals["survival_day"] < 40).all()
    wide = result.wide()
    assert wide.loc[wide["day"] == 7, "tumour_volume"].notna().all()
    assert wide.loc[wide["day"] == 40, "tumour_volume"].isna().all()
    assert result.summary()["measured"].tolist() == [2, 0]
    tc = result.timecourses.merge(result.animals[["animal", "survival_day"]], on="animal")
    assert tc.loc[tc["day"] > tc["survival_day"], "tumour_volume"].isna().all()  # curves end at death
    assert tc.loc[tc["day"] <= tc["survival_day"], "tumour_volume"].notna().all()


def test_parameters_table_holds_each_animals_sampled_values(reference, small_plan):
    params = reference.parameters
    assert set(params.columns) - {"arm", "animal"} == set(small_plan.variability.varied(small_plan.model.parameters))
    kill = params["kill_max"]
    low, high = small_plan.model.parameters["kill_max"].prior
    assert len(kill) == 9 and kill.between(low, high).all() and kill.nunique() == 9


def test_batched_engine_runs_the_same_study(small_plan, reference):
    pytest.importorskip("numba")
    plan = small_plan.with_engine("batch")
    one, four = run_study(plan, chunk_size=1), run_study(plan, chunk_size=4)
    for name in ("animals", "readouts", "timecourses", "parameters"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(four, name))
    assert one.provenance["engine"] == "batch" and reference.provenance["engine"] == "scipy"
    ours, theirs = one.wide(), reference.wide()
    assert (ours["visible_nodules"] == theirs["visible_nodules"]).all()
    assert np.allclose(ours["pdl1_mfi"], theirs["pdl1_mfi"], rtol=1e-3)


def test_paired_plan_gives_every_arm_the_same_animals(small_plan, reference):
    paired = run_study(small_plan.with_pairing())
    values = paired.parameters.drop(columns="arm").groupby("animal").nunique()
    assert (values == 1).all().all()  # animal i has the same values in every arm
    assert paired.provenance["paired"] is True and reference.provenance["paired"] is False
    unpaired = reference.parameters.drop(columns="arm").groupby("animal").nunique()
    assert (unpaired > 1).any().any()


def test_an_arm_whose_cell_line_fixes_a_varied_parameter_runs():
    # an IL-6 knock-out line (secretion 0) widens the prior to 0, so the parameter no longer varies
    # in that arm; its column still holds the arm's one value
    spec = _spec(injection={"route": "subcutaneous", "cells": 5.0e5}, readout_days=[7], follow_up=7,
                 animals_per_arm=2, arms=[{"name": "parental"},
                                          {"name": "knock-out", "cell_line": {"name": "KO", "il6_secretion": 0.0}}])
    result = run_study(plan_study(spec).with_engine("scipy"))
    ko = result.parameters[result.parameters["arm"] == "knock-out"]
    assert result.n_failed == 0 and (ko["p_il6_tumour"] == 0.0).all()
    assert result.parameters.loc[result.parameters["arm"] == "parental", "p_il6_tumour"].gt(0).all()
