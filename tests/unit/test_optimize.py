"""Schedule optimisation: decoding within bounds and budget, robust objectives, a small search."""
import numpy as np
import pytest

from immunomet.errors import SpecError
from immunomet.optimize import AgentBounds, default_problem, optimise
from immunomet.optimize.problem import cohort_objective, decode

BOUNDS = (AgentBounds("anti-il6r", (100, 800), (0, 100), (10, 40), (0, 20), budget_mg=2000),)


def test_decode_maps_the_unit_cube_to_the_bounds_and_respects_the_budget():
    low = decode(BOUNDS, np.zeros(4)).dosings[0]
    assert (low.dose_mg, low.start, low.interval, low.doses) == (100, 0, 10, 0)
    high = decode(BOUNDS, np.ones(4)).dosings[0]
    assert high.dose_mg == 800 and high.doses == 2 and high.total_mg <= 2000  # 20 doses cut to the budget
    for x in np.random.default_rng(0).random((200, 4)):
        assert decode(BOUNDS, x).dosings[0].total_mg <= 2000 + 1e-9


def test_cohort_objective_mean_and_cvar():
    outcomes = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 4.0, 0.0, 4.0]])
    assert list(cohort_objective(outcomes, "mean", True)) == [2.5, 3.0]
    assert list(cohort_objective(outcomes, "cvar:0.5", True)) == [1.5, 2.0]   # worst half when maximising
    assert list(cohort_objective(outcomes, "cvar:0.25", False)) == [4.0, 4.0]  # worst quarter when minimising
    assert list(cohort_objective(outcomes, "quantile:0.5", True)) == [2.5, 4.0]
    assert list(cohort_objective(outcomes, "quantile:0.25", False)) == [3.25, 4.0]  # upper quartile if minimising
    with pytest.raises(SpecError, match="cvar"):
        cohort_objective(outcomes, "median", True)


def test_bad_goal_or_agent_is_one_clear_error():
    with pytest.raises(SpecError, match="goal"):
        default_problem("cure")
    with pytest.raises(SpecError, match="agents"):
        default_problem("dfs", agents=("aspirin",))


@pytest.fixture(scope="module")
def mouse_search():
    return optimise(default_problem("survival", individuals=8, seed=3), evaluations=12, rounds=2, validation=12)


def test_a_small_search_beats_no_treatment_and_is_reproducible(mouse_search):
    table = mouse_search.comparison.set_index("regimen")
    assert table.loc["optimised #1", "vs_untreated_low"] > 0  # survives longer than untreated, CI above 0
    again = optimise(default_problem("survival", individuals=8, seed=3), evaluations=12, rounds=2, validation=12)
    assert again.trace["schedule"].tolist() == mouse_search.trace["schedule"].tolist()
    assert np.allclose(again.comparison["objective"], mouse_search.comparison["objective"])


def test_every_searched_schedule_stays_in_budget(mouse_search):
    for reg in mouse_search.best:
        for d in reg.dosings:
            bound = next(b for b in mouse_search.problem.bounds if b.agent == d.agent)
            assert d.total_mg <= bound.budget_mg + 1e-9
            assert bound.start[0] <= d.start <= bound.start[1]
