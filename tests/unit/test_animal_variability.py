"""The model's between-animal variability as data (models/data/mouse_variability.yaml), its use as
every study's default, and its fit to control-group dispersion (calibration.animal_spread)."""
from __future__ import annotations

import numpy as np
import pytest

import immunomet as im
from immunomet.calibration.animal_spread import SpreadFitSettings, dispersion_statistic, fit_animal_spread
from immunomet.errors import SpecError
from immunomet.models import load_variability_table
from immunomet.models.variability_table import parse_variability_table
from immunomet.studies import parse_study, plan_study, run_study


def _study(**variability):
    body = {"name": "v", "animals_per_arm": 3, "follow_up": 7, "readout_days": [7], "arms": [{"name": "a"}]}
    if variability:
        body["variability"] = variability
    return plan_study(parse_study(body))


def test_the_mouse_table_names_model_parameters_with_sources_and_targets_that_fit_its_entries():
    table = load_variability_table("mouse")
    params = im.load_model("mouse").parameters
    assert 0 < table.spread < 1 and set(table.log_sd) <= set(params)
    assert set(table.sources) == {"spread", *table.log_sd} and all(table.sources.values())
    assert {t.fits for t in table.targets} <= {"spread", *table.log_sd} and table.targets
    for t in table.targets:
        assert t.range[0] < t.value < t.range[1] and t.source


def test_a_model_without_a_table_gets_the_assumed_spread():
    table = load_variability_table("patient")
    assert table.spread == 0.1 and table.log_sd == {} and "assumed" in table.sources["spread"]


def test_studies_take_what_they_leave_out_from_the_model_table():
    table = load_variability_table("mouse")
    default = _study().variability
    assert default.spread == table.spread and dict(default.log_sd) == table.log_sd
    assert im.plan_study(im.load_builtin("toyoshima2019")).variability == default
    own_spread = _study(spread=0.0).variability
    assert own_spread.spread == 0.0 and dict(own_spread.log_sd) == table.log_sd
    none = _study(log_sd={}).variability
    assert none.spread == table.spread and none.log_sd == ()
    explicit = _study(spread=0.2, log_sd={"r_tumour": 0.1}).variability
    assert explicit.spread == 0.2 and dict(explicit.log_sd) == {"r_tumour": 0.1}


def test_a_run_records_the_log_sds_in_its_provenance():
    result = run_study(_study())
    assert result.provenance["variability"]["log_sd"] == load_variability_table("mouse").log_sd


@pytest.mark.parametrize("table, field", [
    ({"spread": {"value": 0.1}}, "source"),
    ({"spread": {"value": 0.1, "source": "s"}, "targets": [{"id": "t", "fits": "r_tumour", "readout": "x",
      "statistic": "cv", "condition": {}, "value": 1, "range": [0, 2], "source": "s"}]}, "r_tumour"),
    ({"spread": {"value": 0.1, "source": "s"}, "targets": [{"id": "t", "fits": "spread", "readout": "x",
      "statistic": "sd", "condition": {}, "value": 1, "range": [0, 2], "source": "s"}]}, "statistic"),
])
def test_a_bad_table_is_one_line_naming_the_file(table, field):
    with pytest.raises(SpecError) as err:
        parse_variability_table(table, "x_variability.yaml")
    assert "x_variability.yaml" in str(err.value) and field in str(err.value) and "\n" not in str(err.value)


def test_dispersion_statistics_recover_known_values():
    """Counts from a gamma-Poisson mixture with shape k have variance m + m^2/k, so the method of
    moments gives a between-animal CV of 1/sqrt(k); plain Poisson counts give 0 (Drinkwater & Klotz
    1981 for the negative binomial of tumour counts)."""
    rng = np.random.default_rng(3)
    k, mean = 4.0, 30.0
    counts = rng.poisson(rng.gamma(k, mean / k, size=200_000))
    assert dispersion_statistic(counts, "intensity_cv") == pytest.approx(0.5, rel=0.02)
    assert dispersion_statistic(rng.poisson(mean, size=200_000), "intensity_cv") < 0.02
    assert dispersion_statistic([1.0, 3.0, np.nan], "cv") == pytest.approx(np.sqrt(2) / 2)


def test_the_fit_reaches_each_target_inside_an_interval_from_its_published_range():
    fit = fit_animal_spread("mouse", SpreadFitSettings(animals=300, iterations=10))
    table = fit.table()
    assert list(table["status"]) == ["fitted"] * len(load_variability_table("mouse").targets)
    for entry in fit.entries:
        low, high = entry.interval
        assert low <= entry.value <= high
        assert entry.statistic == pytest.approx(entry.target.value, rel=0.1)
    assert set(fit.values()) == set(fit.sources()) and all(s.startswith("calibrated: fitted to")
                                                           for s in fit.sources().values())
    assert "survival CV" in str(fit)


def test_the_plan_spec_holds_the_values_used_so_a_run_folder_replays_without_the_table():
    plan = _study()
    table = load_variability_table("mouse")
    assert plan.spec.variability.spread == table.spread and plan.spec.variability.log_sd == table.log_sd
    replayed = plan_study(parse_study(plan.spec.model_dump(mode="json")))
    assert replayed.variability == plan.variability
