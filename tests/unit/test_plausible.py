"""Plausible populations: the shortfall is zero exactly when every criterion holds, the chain keeps
to the priors and is reproducible, the population summarises and round-trips, and studies run
over it. Small settings (few animals, two findings) keep it fast; the full run is in docs."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from immunomet.calibration.plausible import (ChainSettings, PlausibilityCheck, _reflect, calibrate, shortfall,
                                             to_values, walk_chains)
from immunomet.calibration.population import PlausiblePopulation, effective_sample_size, split_rhat
from immunomet.errors import SpecError


def _criteria(rows):
    return pd.DataFrame(rows, columns=["readout", "direction", "estimate", "bound", "median_ref", "median_arm",
                                       "passed"])


def test_shortfall_is_zero_iff_every_criterion_points_the_papers_way():
    ok = _criteria([["visible_nodules", "lower", 0.5, 1.5, 10, 5, True],
                    ["pdl1_mfi", "higher", 2.0, 1.5, 1, 2, True],
                    ["visible_nodules", "similar", 1.2, 1.33, 10, 12, True],
                    ["survival", "similar", 0.95, 1.1, 24.0, 25.0, True]])
    assert shortfall(ok) == 0.0
    bad = _criteria([["visible_nodules", "lower", 2.0, 1.5, 5, 10, False],       # log 2 wrong way
                     ["visible_nodules", "similar", 0.5, 1.33, 10, 5, False],    # |log 0.5| - log 1.33
                     ["survival", "similar", 0.5, 1.1, 20.0, 26.0, False]])      # RMST ratio: |log 0.5| - log 1.1
    expected = np.log(2) + (np.log(2) - np.log(1.33)) + (np.log(2) - np.log(1.1)) + 3 * 0.1
    assert shortfall(bad) == pytest.approx(expected)
    tested = ok.assign(p_adjusted=[0.5, 0.01, np.nan, np.nan], passed=[False, True, True, True])
    assert shortfall(tested) == pytest.approx(0.1)  # direction right, not significant: only the 0.1
    assert shortfall(tested, alpha=0.05) == pytest.approx(1.0 + 0.1)  # p one decade above alpha


def test_reflection_keeps_proposals_in_the_box():
    lows, highs = np.zeros(3), np.array([1.0, 2.0, 0.5])
    x = np.array([-0.25, 2.5, 1.2])
    assert np.allclose(_reflect(x, lows, highs), [0.25, 1.5, 0.2])
    rng = np.random.default_rng(0)
    y = _reflect(rng.normal(0, 5, (1000, 3)), lows, highs)
    assert (y >= lows).all() and (y <= highs).all()


def test_unknown_or_patient_findings_cannot_be_required():
    check = PlausibilityCheck.default(animals=2)
    with pytest.raises(SpecError, match="F8"):
        PlausibilityCheck(check.plan, ("F1", "F8"))


@pytest.fixture(scope="module")
def tiny():
    check = PlausibilityCheck.default(animals=3, required=("F1", "F6"), significance=False)
    population = calibrate(check, ["kill_max", "emax_ifn_pdl1"], prior_draws=3, chains=1,
                           settings=ChainSettings(steps=4, burn_in=1), seed=3)
    return check, population


def test_calibrate_keeps_plausible_sets_within_the_priors(tiny):
    check, population = tiny
    table = population.evaluations
    assert list(table["kind"].value_counts().sort_index()) == [4, 3]  # 4 chain steps, 3 prior draws
    assert (table["plausible"] == (table[["F1", "F6"]] == "PASS").all(axis=1)).all()
    samples = population.samples()
    for name in population.names:
        low, high = check.plan.model.parameters[name].prior
        assert samples[name].between(low, high).all()
    # each chain state is a plausible set: re-checking one gives PASS for the required findings
    state = samples[samples["chain"] == 0].iloc[-1][list(population.names)].to_dict()
    assert check.plausible(state)[0]


def test_calibrate_is_reproducible_from_its_seed(tiny):
    check, population = tiny
    again = calibrate(check, ["kill_max", "emax_ifn_pdl1"], prior_draws=3, chains=1,
                      settings=ChainSettings(steps=4, burn_in=1), seed=3)
    pd.testing.assert_frame_equal(population.evaluations, again.evaluations)


def test_chains_are_the_same_in_one_process_or_two(tiny):
    """One seed stream per chain: the workers (spawned processes reporting steps to a progress
    bar through a queue) change nothing in the result."""
    check, _ = tiny
    settings = ChainSettings(steps=3, burn_in=1)
    alone = walk_chains(check, ["kill_max", "emax_ifn_pdl1"], settings, chains=2, seed=5, workers=1)
    parallel = walk_chains(check, ["kill_max", "emax_ifn_pdl1"], settings, chains=2, seed=5, workers=2, progress=True)
    assert list(alone["chain"]) == [0, 0, 0, 1, 1, 1]
    pd.testing.assert_frame_equal(alone, parallel)


def test_population_round_trips_and_thins(tiny, tmp_path):
    _, population = tiny
    loaded = PlausiblePopulation.load(population.save(tmp_path / "cal"))
    pd.testing.assert_frame_equal(loaded.evaluations, population.evaluations)
    assert loaded.names == population.names and loaded.required == population.required
    assert len(population.sets(2)) == 2 and len(population.sets(100)) == len(population.samples())
    post = population.posterior()
    assert set(post["parameter"]) == set(population.names) and (post["verdict"] == "few samples").all()


def test_summary_names_only_the_samplers_that_ran(tiny):
    _, population = tiny
    assert "prior draws: 3" in str(population) and "chain steps: 4" in str(population)
    chains_only = replace(population, evaluations=population.chain_steps.reset_index(drop=True))
    assert "prior draws" not in str(chains_only) and "nan" not in str(chains_only)
    assert "plausible sets: 3" in str(chains_only)  # 4 steps, burn-in 1


def test_effective_sample_size_of_independent_and_sticky_chains():
    rng = np.random.default_rng(1)
    iid = pd.DataFrame({"chain": 0, "x": 10 ** rng.normal(size=2000)})
    assert 1500 < effective_sample_size(iid, "x") < 2500
    sticky = pd.DataFrame({"chain": 0, "x": 10 ** np.repeat(rng.normal(size=100), 20)})  # each value 20 times
    assert effective_sample_size(sticky, "x") < 200


def test_to_values_stays_inside_priors_despite_round_off():
    check = PlausibilityCheck.default(animals=2)
    model = check.plan.model
    low, high = model.parameters["K_pd1"].prior
    values = to_values(model, ["K_pd1"], np.log10([high]))
    assert low <= values["K_pd1"] <= high


def test_direction_checks_drop_only_the_significance_requirement():
    from immunomet.analysis.findings import FINDINGS, check_findings
    from immunomet.studies import run_study

    plan = PlausibilityCheck.default(animals=3).plan
    result = run_study(plan)
    mice = [f for f in FINDINGS if f.id in ("F1", "F4", "F6", "F7")]
    tested = {r.id: r.criteria for r in check_findings(result, plan, findings=mice)}
    direction = {r.id: r.criteria for r in check_findings(result, plan, findings=mice, significance=False)}
    for fid, table in direction.items():
        for row, strict in zip(table.to_dict("records"), tested[fid]["passed"]):
            assert row["passed"] >= strict  # a significant criterion also points the right way
            if row["direction"] in ("higher", "lower") and row["readout"] != "survival":
                assert row["passed"] == ((row["estimate"] > 1) if row["direction"] == "higher" else
                                         (row["estimate"] < 1))


def test_split_rhat_is_near_one_for_agreeing_chains_and_large_for_separated_ones():
    """Split R-hat (Gelman et al. 2013, BDA3 sec. 11.4): for independent draws from one
    distribution it is 1 + O(1/n); two chains around different centres, or one chain that drifts,
    give values far above the 1.1 rule."""
    rng = np.random.default_rng(2)
    same = pd.DataFrame({"chain": np.repeat([0, 1], 1000), "x": 10 ** rng.normal(size=2000)})
    assert split_rhat(same, "x") == pytest.approx(1.0, abs=0.01)
    apart = pd.DataFrame({"chain": np.repeat([0, 1], 1000), "x": 10 ** (rng.normal(size=2000) + np.repeat([0, 3], 1000))})
    assert split_rhat(apart, "x") == pytest.approx(2.0, abs=0.1)  # sqrt(W + B/n) / sqrt(W), W = 1, B/n = 3
    drift = pd.DataFrame({"chain": 0, "x": 10 ** (rng.normal(size=1000) + np.linspace(0, 3, 1000))})
    # halves centred at 0.75 and 2.25: W = 1 + 1.5**2 / 12, B/n = 1.125, R-hat = sqrt((W + B/n) / W) = 1.395
    assert split_rhat(drift, "x") == pytest.approx(1.395, abs=0.05)
    assert np.isnan(split_rhat(pd.DataFrame({"chain": [-1] * 50, "x": 10 ** rng.normal(size=50)}), "x"))
