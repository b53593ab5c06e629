"""Checks that can fail: equivalence tests that a small study cannot pass by being small, every
criterion inside the Holm correction, F9 against both single agents, negative controls that make
each of F1-F7 FAIL, and findings that hold by construction labelled so."""
from dataclasses import replace

import numpy as np
import pytest

import immunomet as im
from immunomet.analysis.controls import NEGATIVE_CONTROLS, cut_model, cut_plan
from immunomet.analysis.criteria import SIMILAR_NODULES, SIMILAR_SURVIVAL, readout_rows, survival_rows
from immunomet.analysis.findings import FINDINGS, check_findings, findings_table
from immunomet.analysis.groups import holm
from immunomet.analysis.replication import replicate, simulate_pools
from immunomet.studies.result import StudyResult

from synthetic_runs import nodule_result  # tests/unit/synthetic_runs.py

BY_ID = {f.id: f for f in FINDINGS}


# ---- equivalence (TOST) ----------------------------------------------------------------------------
def test_margins_are_half_the_smallest_effect_of_interest_on_the_log_scale():
    assert SIMILAR_NODULES == pytest.approx(2 ** 0.5) and SIMILAR_SURVIVAL == pytest.approx(1.2 ** 0.5)
    similar = [c for f in FINDINGS for c in f.criteria if c.direction == "similar"]
    assert [(c.readout, c.bound) for c in similar] == [("visible_nodules", SIMILAR_NODULES),
                                                       ("visible_nodules", SIMILAR_NODULES),
                                                       ("survival", SIMILAR_SURVIVAL)]


def test_readout_equivalence_needs_enough_animals_and_an_effect_inside_the_margin():
    rng = np.random.default_rng(0)
    same = rng.lognormal(6, 0.5, (2, 200))
    big = readout_rows("similar", SIMILAR_NODULES, "visible_nodules", same[:1], same[1:])
    assert big["p"][0] < 0.01 and big["ok"][0]                          # 200 per arm, same distribution: equivalent
    # 3 per arm can never show equivalence: the smallest one-sided exact p is 1/20 = 0.05
    tiny = readout_rows("similar", SIMILAR_NODULES, "visible_nodules", np.full((1, 3), 500.0), np.full((1, 3), 500.0))
    assert tiny["p"][0] >= 0.05
    doubled = readout_rows("similar", SIMILAR_NODULES, "visible_nodules", same[:1], 2 * same[1:])
    assert doubled["p"][0] > 0.5 and not doubled["ok"][0]                # a two-fold change is not "about the same"


def test_survival_equivalence_on_restricted_mean_survival():
    rng = np.random.default_rng(1)
    t = rng.normal(24, 1.5, (1, 400))
    arm = np.zeros((1, 400), bool)
    arm[:, 200:] = True
    e = np.ones((1, 400), bool)
    same = survival_rows("similar", SIMILAR_SURVIVAL, t, e, arm, ~arm)
    assert same["p"][0] < 0.01 and same["estimate"][0] == pytest.approx(1.0, abs=0.02)
    longer = survival_rows("similar", SIMILAR_SURVIVAL, np.where(arm, t * 1.25, t), e, arm, ~arm)
    assert longer["p"][0] > 0.5                                          # 25% longer does not "do little"
    few = survival_rows("similar", SIMILAR_SURVIVAL, t[:, 198:202], e[:, :4], arm[:, 198:202], ~arm[:, 198:202])
    assert few["p"][0] > 0.05                                            # two mice per arm show nothing


# ---- multiplicity, F9, construction labels -----------------------------------------------------------
def _result(values: dict[str, list[float]]) -> StudyResult:
    return nodule_result(values, part="predictions")


@pytest.fixture(scope="module")
def plan():
    return im.plan_study(im.load_builtin("toyoshima2019")).with_engine("auto")


def test_f9_adjuvant_claim_fails_when_il6r_blockade_alone_explains_it(plan):
    """poly(I:C) + anti-IL-6R beats poly(I:C) alone, but only as much as anti-IL-6R alone does:
    'IL-6 blockade improves adjuvant therapy' is not shown, so F9 FAILs on that criterion."""
    base = np.arange(8.0)
    values = {"WT anti-PD-L1 (predictions)": list(500 + base), "WT anti-IL-6R": list(30 + base),
              "WT anti-IL-6R + anti-PD-L1": list(base * 0.5), "WT poly(I:C)": list(700 + base),
              "WT poly(I:C) + anti-IL-6R": list(30.5 + base)}
    [f9] = check_findings(_result(values), plan, findings=[BY_ID["F9"]])
    assert f9.status == "FAIL"
    assert list(f9.criteria["passed"]) == [True, True, True, False]
    assert list(f9.criteria["reference"])[2:] == ["WT poly(I:C)", "WT anti-IL-6R"]
    values["WT poly(I:C) + anti-IL-6R"] = list(base * 0.5)  # now better than either alone
    [f9] = check_findings(_result(values), plan, findings=[BY_ID["F9"]])
    assert f9.status == "PASS"


def test_every_criterion_including_equivalence_is_inside_the_holm_correction(plan):
    result = im.run_study(plan.with_animals(4), workers=2)
    for f in check_findings(result, plan):
        if f.status == "NOT RUN":
            continue
        table = f.criteria
        assert table["p"].notna().all()
        assert np.allclose(table["p_adjusted"], holm(table["p"].to_numpy()))
    [f7] = [f for f in check_findings(result, plan) if f.id == "F7"]
    assert list(f7.criteria["direction"]).count("similar") == 2


def test_findings_that_hold_by_construction_say_so():
    labelled = {f.id for f in FINDINGS if f.construction}
    assert labelled == {"F4", "F6"}
    assert "rise only with type I IFN" in BY_ID["F6"].construction
    results = check_findings(None, None, findings=[BY_ID["F6"]])
    assert "rise only with" in findings_table(results)["construction"].iloc[0]


# ---- negative controls -----------------------------------------------------------------------------
def test_every_cut_names_parameters_of_the_model_and_covers_f1_to_f7():
    model = im.load_model("mouse")
    assert sorted(NEGATIVE_CONTROLS) == ["F1", "F2", "F3", "F4", "F5", "F6", "F7"]
    for fid, cut in NEGATIVE_CONTROLS.items():
        assert set(cut.values) <= set(model.parameters), fid
        assert cut.reason
        cut_params = cut_model(model, fid).parameters
        for name, value in cut.values.items():  # the same value in every animal, whatever the prior
            assert cut_params[name].value == value and not cut_params[name].varies


def _first(result: StudyResult, n: int) -> StudyResult:
    """The run of the first ``n`` animals of every arm (a pool's first animals are that run's)."""
    keep = lambda t: t[t["animal"] < n] if len(t) else t  # noqa: E731
    return StudyResult(keep(result.animals), keep(result.readouts), keep(result.timecourses),
                       keep(result.parameters), result.provenance)


@pytest.mark.parametrize("fid", sorted(NEGATIVE_CONTROLS))
def test_cutting_the_mechanism_makes_the_finding_fail(plan, fid):
    """On 30 mice per arm the finding FAILs with a directional criterion lost (not only an
    equivalence), and replicate experiments of 30 per arm drawn from 150 cut mice per arm almost
    never pass it: the failure is the mechanism's absence, not low power."""
    finding = BY_ID[fid]
    pools = simulate_pools(cut_plan(plan, fid), [finding], pool=150, workers=2)
    design = replace(pools.plan, arms=tuple(replace(a, animals=30) for a in pools.plan.arms))
    [verdict] = check_findings(_first(pools.result, 30), design, findings=[finding])
    assert verdict.status == "FAIL", verdict.criteria.to_string()
    lost = verdict.criteria[(verdict.criteria["direction"] != "similar") & ~verdict.criteria["passed"]]
    assert len(lost), verdict.criteria.to_string()
    table, _ = replicate(replace(pools, plan=design), reps=200)
    assert table.iloc[0]["probability"] < 0.1, table.to_string()
