"""Readouts: what the lab measures, with noise as a stated option."""
import numpy as np
import pytest

from immunomet import Injection, Protocol, simulate
from immunomet.readouts import HumaneEndpoint, MeasurementNoise, measure, time_to_endpoint

EXACT = MeasurementNoise(flow_events=0, assay_cv=0.0)


@pytest.fixture(scope="module")
def ko_day21(mouse):
    return simulate(mouse, Protocol("il6-ko", days=21), seed=4)


def test_exact_flow_percentages_are_the_model_rules(mouse, ko_day21):
    values = measure(ko_day21, 21.0, EXACT, np.random.default_rng(0))
    obs = ko_day21.observables.loc[21.0]
    assert values["perforin_of_cd8"] == pytest.approx(100 * obs["perforin_of_cd8"])
    assert values["mhc2hi_of_dc"] == pytest.approx(100 * obs["mhc2hi_of_dc"])
    assert values["pdl1_mfi"] == pytest.approx(ko_day21.species.loc[21.0, "pdl1"])
    assert values["serum_il6"] == pytest.approx(ko_day21.species.loc[21.0, "il6"])


def test_liver_weight_and_area_follow_the_drawn_nodules(mouse, ko_day21):
    values = measure(ko_day21, 21.0, EXACT, np.random.default_rng(0))
    params = mouse.parameters
    extra = values["liver_weight"] - params.value("liver_weight_base")
    assert extra > 0
    burden = extra / params.value("tumour_cell_mass")
    assert values["tumour_area"] == pytest.approx(100 * extra / values["liver_weight"])
    assert values["visible_nodules"] <= burden / params.value("nodule_visible_cells")


def test_binomial_flow_noise_is_unbiased_with_the_closed_form_spread(mouse, ko_day21):
    """Exact stochastic check: with N CD45+ events, CD8+ % is Binomial(N, f)/N (mean f, SD sqrt(f(1-f)/N))."""
    noise = MeasurementNoise(flow_events=2000, assay_cv=0.0)
    rng = np.random.default_rng(11)
    draws = np.array([measure(ko_day21, 21.0, noise, rng)["cd8_of_cd45"] for _ in range(400)]) / 100
    f = ko_day21.observables.loc[21.0, "cd8_of_cd45"]
    sd = np.sqrt(f * (1 - f) / 2000)
    assert abs(draws.mean() - f) < 4 * sd / np.sqrt(len(draws))
    assert draws.std(ddof=1) == pytest.approx(sd, rel=0.15)


def test_assay_noise_has_the_stated_cv(mouse, ko_day21):
    noise = MeasurementNoise(flow_events=0, assay_cv=0.2)
    rng = np.random.default_rng(2)
    draws = np.array([measure(ko_day21, 21.0, noise, rng)["pdl1_mfi"] for _ in range(3000)])
    truth = ko_day21.species.loc[21.0, "pdl1"]
    assert draws.mean() == pytest.approx(truth, rel=0.02)
    assert draws.std() / draws.mean() == pytest.approx(0.2, rel=0.08)


def test_local_tumour_is_measured_by_volume_not_nodules(mouse):
    """The local tumour's cells descend from the seeded lineages (drawn, as in the liver), but it is
    read as one volume: no nodule count or liver weight. With ~1e5 surviving lineages the drawn
    burden is the mean-field one to within a few percent (law of large numbers)."""
    result = simulate(mouse, Protocol("wt", days=14, injection=Injection(5e5, route="subcutaneous")), seed=1)
    values = measure(result, 14.0, EXACT, np.random.default_rng(0), local=True)
    assert "visible_nodules" not in values and "liver_weight" not in values
    expected = result.species.loc[14.0, "cancer_cells"] / mouse.parameters.value("tumour_cell_density")
    assert values["tumour_volume"] == pytest.approx(expected, rel=0.03)


def test_endpoint_day_is_interpolated_between_outputs(mouse):
    result = simulate(mouse, Protocol("wt", days=40), seed=1)
    burden = result.series("tumour_burden")
    day, death = time_to_endpoint(result, HumaneEndpoint("tumour_burden", 1e9))
    assert death and burden[burden.index < day].max() < 1e9 <= burden[burden.index >= day].iloc[0]
    assert np.interp(day, burden.index, burden.to_numpy()) == pytest.approx(1e9, rel=1e-6)
    never = time_to_endpoint(result, HumaneEndpoint("tumour_burden", 1e12))
    assert never == (40.0, False)


def test_expected_readouts_are_the_mean_of_measured_ones(mouse, ko_day21):
    """Exact stochastic check: the sampled visible-nodule count (binomial lineages, geometric sizes)
    averages to the closed-form expectation; noiseless assays equal the expected values."""
    from immunomet.readouts import expected_readouts

    expected = expected_readouts(ko_day21, 21.0)
    rng = np.random.default_rng(7)
    draws = np.array([measure(ko_day21, 21.0, EXACT, rng)["visible_nodules"] for _ in range(2000)])
    assert abs(draws.mean() - expected["visible_nodules"]) < 4 * draws.std() / np.sqrt(len(draws))
    exact = measure(ko_day21, 21.0, EXACT, rng)
    for name in ("perforin_of_cd8", "mhc2hi_of_dc", "pdl1_mfi", "mhc1_mfi", "serum_il6"):
        assert expected[name] == pytest.approx(exact[name]), name


def test_k_normals_in_one_call_are_the_k_single_draws():
    """Readouts draw an animal's consecutive assay deviates in one call; the fixed draw order
    (nodules, assays, flow gates, MFI and ELISA) holds only if that consumes the stream exactly as
    one call per assay did (numpy's Generator fills arrays with the scalar routine)."""
    one, many = np.random.default_rng(3), np.random.default_rng(3)
    assert np.array_equal(many.standard_normal(5), [one.standard_normal() for _ in range(5)])
    assert many.binomial(5000, 0.3) == one.binomial(5000, 0.3)
    assert many.standard_normal(0).size == 0 and many.random() == one.random()
