"""Virtual cohorts: variability from priors, one seed stream per animal."""
import numpy as np
import pytest

from immunomet.cohorts import Variability, animal_seeds
from immunomet.errors import SpecError


def test_sigma_is_spread_times_a_quarter_of_the_prior_log_width(mouse):
    sig = Variability(spread=0.2).sigmas(mouse.parameters)
    low, high = mouse.parameters["K_antigen"].prior
    assert sig["K_antigen"] == pytest.approx(0.2 * np.log(high / low) / 4)


def test_parameters_marked_fixed_never_vary(mouse):
    varied = Variability().varied(mouse.parameters)
    for name in ("host_il6", "mw_igg", "nodule_visible_cells", "pdl1_base"):
        assert name not in varied
    assert "kill_max" in varied


def _mid_prior_parameter(mouse):
    """The varying parameter whose value sits nearest the middle of its (log) prior."""
    def distance(p):
        lo, hi = np.log(p.prior)
        return abs((np.log(p.value) - lo) / (hi - lo) - 0.5)
    return min((p for p in mouse.parameters.values_objects() if p.varies and p.prior[0] > 0), key=distance).name


def test_draws_are_lognormal_around_the_value_and_stay_in_the_prior(mouse):
    name = _mid_prior_parameter(mouse)
    var = Variability(spread=0.3, parameters=(name,))
    rng = np.random.default_rng(1)
    draws = np.array([var.sample(mouse.parameters, rng)[name] for _ in range(4000)])
    p = mouse.parameters[name]
    assert draws.min() >= p.prior[0] and draws.max() <= p.prior[1]
    inside = draws[(draws > p.prior[0]) & (draws < p.prior[1])]
    # the median of a log-normal is its location; clipping touches only the tails
    assert np.median(np.log(inside)) == pytest.approx(np.log(p.value), abs=0.02)


def test_spread_zero_gives_identical_animals(mouse):
    assert Variability(spread=0.0).sample(mouse.parameters, np.random.default_rng(0)) == {}


def test_unknown_parameter_is_named():
    from immunomet import load_model

    with pytest.raises(SpecError, match="variability.parameters: unknown parameter 'kil_max'.*kill_max"):
        Variability(parameters=("kil_max",)).varied(load_model().parameters)


def test_animal_streams_depend_only_on_seed_arm_name_and_index():
    a = animal_seeds(5, "WT isotype", 3)
    b = animal_seeds(5, "WT isotype", 3)
    c = animal_seeds(5, "WT anti-CD8", 3)
    draw = lambda s: np.random.default_rng(s.parameters).random(3)  # noqa: E731
    assert np.array_equal(draw(a), draw(b))
    assert not np.array_equal(draw(a), draw(c))
    streams = [np.random.default_rng(s).random() for s in (a.parameters, a.colonisation, a.measurement)]
    assert len(set(streams)) == 3
