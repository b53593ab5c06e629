"""The patient model (edits of the mouse model), patient covariates and virtual trials."""
import numpy as np
import pytest

from immunomet import simulate
from immunomet.cohorts.patients import PatientPopulation
from immunomet.errors import SpecError
from immunomet.models import mouse_model, patient_model
from immunomet.models.patient import human_parameters
from immunomet.spec import Injection, Protocol, Treatment
from immunomet.studies import load_builtin_trial, parse_trial, plan_trial, run_trial
from immunomet.studies.trial import simulate_patients


def test_patient_model_is_the_mouse_structure_with_human_values():
    mouse, human = mouse_model(), patient_model()
    assert human.structure_hash == mouse.structure_hash  # same species, rules, processes: not a copy
    assert human.hash != mouse.hash
    p, m = human.parameters, mouse.parameters
    assert p.value("dc_immature_0") == pytest.approx(1360 * m.value("dc_immature_0"))
    assert "mouse value x 1360" in p["dc_immature_0"].source
    assert p.value("body_weight") == 70 and "atezolizumab" in p["CL_apdl1"].source
    assert p.value("EC50_il6") == m.value("EC50_il6")  # intensive values are kept
    assert human.agent("atezolizumab").name == "anti-pdl1" and human.agent("tocilizumab").name == "anti-il6r"
    human.compile()  # units are checked when the model is built


def test_an_edit_of_an_unknown_parameter_is_one_clear_error():
    with pytest.raises(SpecError, match="not a mouse-model parameter"):
        human_parameters(mouse_model().parameters, {"overrides": {"nonsense": {
            "value": 1, "unit": "1", "prior": [0, 2], "source": "assumed: test"}}})


def test_a_human_prior_widens_the_mouse_prior_around_the_value_and_says_why():
    mouse = mouse_model().parameters
    edits = {"priors": {"p_il6_basal": {"relative": [0.1, 20], "why": "people differ"}}}
    p = human_parameters(mouse, edits)["p_il6_basal"]
    assert p.value == mouse.value("p_il6_basal") and p.prior == pytest.approx((0.1 * p.value, 20 * p.value))
    assert p.source.startswith(mouse["p_il6_basal"].source) and "people differ" in p.source
    # the shipped edit: host IL-6 may spread 3 SDs of the CoLaus covariate either side
    shipped = patient_model().parameters["p_il6_basal"]
    widest = 10 ** (2.9 * 0.5)
    assert shipped.prior[1] / shipped.value >= widest and shipped.value / shipped.prior[0] >= widest
    assert "CoLaus" in shipped.source
    for bad in ({"relative": [2, 3], "why": "x"}, {"relative": [0.5, 2]}, {"why": "x"}):
        with pytest.raises(SpecError, match="priors.p_il6_basal"):
            human_parameters(mouse, {"priors": {"p_il6_basal": bad}})


@pytest.mark.parametrize("agent, half_life_days, source", [("atezolizumab", 27.0, "Tecentriq label: 27 d"),
                                                           ("tocilizumab", 15.0, "linear PK, V 7 L / CL 0.3 L/day")])
def test_human_antibody_terminal_half_life(agent, half_life_days, source):
    """Terminal half-life of a single i.v. dose from the simulated plasma concentration (days 40-80)."""
    model = patient_model()
    dose = Treatment(agent, 1.2e6, (0.0,), "iv")
    result = simulate(model, Protocol("wt", (dose,), Injection(cells=1.0), 80.0))
    key = result.provenance["agent_keys"][model.agent(agent).name]
    conc = result.series(key)
    slope = np.polyfit(conc.index[(conc.index >= 40)], np.log(conc[conc.index >= 40]), 1)[0]
    assert np.log(2) / -slope == pytest.approx(half_life_days, rel=0.2), source


def test_il6_high_share_and_cutoff_follow_the_population():
    model, pop = patient_model(), PatientPopulation()
    patients = pop.draw(model, range(600), 11, "g")
    high = np.mean(patients.il6_stratum == "IL-6 high")
    assert abs(high - 0.34) < 4 * np.sqrt(0.34 * 0.66 / 600)
    # the 66th percentile of a log-normal with SD 0.72 decades (TCGA): z = 0.412
    assert pop.il6_cutoff(model) == pytest.approx(model.parameters.value("p_il6_tumour") * 10 ** (0.412 * 0.72), rel=0.01)
    again = pop.draw(model, (5, 2), 11, "g")
    assert np.array_equal(again.parameters, patients.parameters[[5, 2]])  # a patient is its seed, whatever else is drawn
    assert np.array_equal(again.il6_stratum, patients.il6_stratum[[5, 2]])


def test_the_il6_assay_error_is_independent_of_the_relapse_draw():
    """The assay error and the relapse level come from different streams of the patient's
    measurement seed (they once shared one, which correlated them)."""
    model = patient_model()
    pop = PatientPopulation(assay_sd_decades=0.5)
    patients = pop.draw(model, range(400), 2, "g")
    error = np.log10(patients.tumour_il6_measured / patients.tumour_il6) / 0.5
    relapse_level = np.array([np.random.default_rng(s).exponential() for s in patients.measurement_seeds])
    assert abs(np.corrcoef(error, relapse_level)[0, 1]) < 4 / np.sqrt(400)


def test_host_il6_spreads_the_simulated_serum_il6_as_the_covariate_says():
    """Serum IL-6 at steady state is proportional to host production, so the simulated
    postoperative serum spreads between patients about as the host covariate (0.50 decades,
    CoLaus) and hardly follows tumour IL-6 (the occult cells are too few); the serum sample adds
    its sourced error (0.14 decades) from its own stream. Without the covariate it spreads little."""
    spec = parse_trial({"name": "t", "seed": 5, "patients_per_arm": 300, "follow_up_years": 1, "arms": [{"name": "c"}]})
    plan = plan_trial(spec)
    table = simulate_patients(plan, plan.arms[0], 0, 300).to_pandas()
    serum = np.log10(table["serum_il6"])
    assert 0.40 < serum.std() < 0.60
    assert abs(np.corrcoef(serum, np.log10(table["tumour_il6"]))[0, 1]) < 0.2
    error = np.log10(table["serum_il6_measured"] / table["serum_il6"])
    assert 0.11 < error.std() < 0.17 and abs(np.corrcoef(error, serum)[0, 1]) < 0.2
    narrow = plan_trial(parse_trial({**spec.model_dump(), "population": {"host_il6_sd_decades": 0}}))
    flat = simulate_patients(narrow, narrow.arms[0], 0, 300).to_pandas()
    assert np.log10(flat["serum_il6"]).std() < 0.3


def test_serum_strata_put_the_top_share_of_serum_samples_high():
    import pandas as pd

    from immunomet.analysis.dfs import HIGH, serum_strata

    table = pd.DataFrame({"status": ["success"] * 99 + ["failed"], "serum_il6_measured": np.arange(100.0)})
    split = serum_strata(table, 0.34)
    assert len(split) == 99 and set(split.loc[split["il6_stratum"] == HIGH, "serum_il6_measured"]) == set(range(65, 99))


def test_patients_are_the_same_whatever_the_chunks():
    plan = plan_trial(parse_trial({"name": "t", "seed": 3, "patients_per_arm": 6, "arms": [{"name": "c"}]}))
    whole = simulate_patients(plan, plan.arms[0], 0, 6).to_pandas()
    parts = [simulate_patients(plan, plan.arms[0], a, b).to_pandas() for a, b in ((0, 2), (2, 6))]
    import pandas as pd

    pd.testing.assert_frame_equal(whole, pd.concat(parts, ignore_index=True))


def test_trial_schedules_and_paired_arms():
    spec = parse_trial({"name": "t", "seed": 1, "patients_per_arm": 8, "follow_up_years": 2, "arms": [
        {"name": "control"},
        {"name": "pdl1", "treatments": [{"agent": "atezolizumab", "dose": "1200mg", "start": 28, "every": 21,
                                          "doses": 4}]},
        {"name": "il6r", "treatments": ["tocilizumab:560mg:iv@d28,d56"]}]})
    plan = plan_trial(spec)
    assert plan.arms[1].protocol.treatments[0].days == (28, 49, 70, 91)
    assert plan.arms[1].protocol.treatments[0].amount == 1.2e6 and plan.arms[1].protocol.treatments[0].route == "iv"
    result = run_trial(plan)
    by_arm = {a: g["tumour_il6"].to_numpy() for a, g in result.patients.groupby("arm")}
    assert np.array_equal(by_arm["control"], by_arm["pdl1"])  # paired by default: the same patients
    assert set(result.patients["status"]) == {"success"}


@pytest.mark.parametrize("change, message", [
    ({"arms": [{"name": "a", "treatments": [{"agent": "atezolizumab", "dose": "1mg"}]}]},
     "arms[0].treatments[0]: give days, or start + every + doses"),
    ({"arms": [{"name": "a", "treatments": [{"agent": "aspirin", "dose": "1mg", "days": [1]}]}]},
     "arms[0].treatments[0]: unknown agent 'aspirin'"),
    ({"arms": [{"name": "a"}], "patients": 5}, "patients: unknown field; allowed: name"),
    ({"arms": [{"name": "a"}, {"name": "a"}]}, "arm names must be unique"),
    ({"arms": [{"name": "a"}], "population": {"serum_day": -1}}, "population.serum_day"),
    ({"arms": [{"name": "a", "treatments": [{"agent": "tocilizumab", "dose": "1mg", "days": [4000]}]}]},
     "after the end of follow-up"),
])
def test_bad_trial_specs_are_one_line_naming_the_field(change, message):
    with pytest.raises(SpecError) as err:
        plan_trial(parse_trial({"name": "t", **change}))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_builtin_trials_parse():
    for name in ("dfs_by_il6", "adjuvant"):
        assert plan_trial(load_builtin_trial(name)).arms


def test_scipy_engine_over_processes_gives_the_same_patients():
    spec = parse_trial({"name": "t", "seed": 4, "patients_per_arm": 3, "follow_up_years": 2, "paired": False,
                        "arms": [{"name": "c"}, {"name": "d"}]})
    import pandas as pd

    one = run_trial(plan_trial(spec, engine="scipy"), workers=1).patients
    two = run_trial(plan_trial(spec, engine="scipy"), workers=2, chunk_size=1).patients
    pd.testing.assert_frame_equal(one, two)
    assert not np.array_equal(one.loc[one["arm"] == "c", "tumour_il6"], one.loc[one["arm"] == "d", "tumour_il6"])


def test_trial_populations_default_to_the_cohorts_sourced_covariates():
    """A trial that leaves the population alone gets the same covariates, sources included, as the
    built-in cohort (one value, one source); a trial that edits a spread says so in the source."""
    from immunomet.cohorts.patients import HOST_IL6, LIVER_SEEDING, TUMOUR_IL6
    from immunomet.studies.trial import population_of
    from immunomet.studies.trial_spec import PopulationSpec, TrialSpec

    spec = TrialSpec(name="t", arms=[{"name": "control"}])
    assert population_of(spec).tumour_il6 == TUMOUR_IL6 and population_of(spec).liver_seeding == LIVER_SEEDING
    assert population_of(spec).host_il6 == HOST_IL6 and population_of(spec) == PatientPopulation()
    assert "TCGA" in TUMOUR_IL6.source
    edited = spec.model_copy(update={"population": PopulationSpec(tumour_il6_sd_decades=0.5)})
    assert population_of(edited).tumour_il6.sd_decades == 0.5
    assert population_of(edited).tumour_il6.source == "set in the trial's population"
