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


def test_own_log_sds_vary_only_their_parameters_and_override_the_spread(mouse):
    """Mixed-effects fits report a between-mouse SD per parameter (e.g. of T-cell influx); with
    spread 0 only those parameters vary, with exactly that SD on the log scale."""
    var = Variability(spread=0.0, log_sd=(("f_home_liver", 0.4), ("r_tumour", 0.1)))
    assert var.sigmas(mouse.parameters) == {"r_tumour": 0.1, "f_home_liver": 0.4}  # model order
    names, values = var.draw(mouse.parameters, [np.random.default_rng(i) for i in range(3000)])
    assert names == ("r_tumour", "f_home_liver")
    assert np.std(np.log(values[:, 0] / mouse.parameters.value("r_tumour"))) == pytest.approx(0.1, rel=0.1)
    mixed = Variability(spread=0.2, log_sd={"K_antigen": 0.05})
    low, high = mouse.parameters["kill_max"].prior
    sig = mixed.sigmas(mouse.parameters)
    assert sig["K_antigen"] == 0.05 and sig["kill_max"] == pytest.approx(0.2 * np.log(high / low) / 4)
    with pytest.raises(SpecError, match="variability.log_sd: unknown parameter 'kil_max'"):
        Variability(log_sd={"kil_max": 0.1}).sigmas(mouse.parameters)
    with pytest.raises(SpecError, match="variability.log_sd.r_tumour: must be between 0 and 3"):
        Variability(log_sd={"r_tumour": -1})


def test_a_study_names_its_own_log_sds_and_a_typo_is_one_line():
    from immunomet.studies import load_builtin, plan_study

    spec = load_builtin("toyoshima2019")
    own = spec.model_copy(update={"variability": spec.variability.model_copy(
        update={"spread": 0.0, "log_sd": {"f_home_liver": 0.4}})})
    assert plan_study(own).variability.log_sd == (("f_home_liver", 0.4),)
    typo = own.model_copy(update={"variability": own.variability.model_copy(update={"log_sd": {"f_hom_liver": 0.4}})})
    with pytest.raises(SpecError, match="unknown parameter 'f_hom_liver'.*f_home_liver"):
        plan_study(typo)


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
