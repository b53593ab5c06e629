"""Power by simulation: under no effect the rejection rate is alpha; a large effect needs few animals."""
import numpy as np
import pandas as pd

from immunomet.analysis.power import Comparison, power_analysis
from immunomet.studies.result import StudyResult


def pool_result(a_values, b_values, a_surv=None, b_surv=None):
    rows, animals = [], []
    for arm, values, surv in (("a", a_values, a_surv), ("b", b_values, b_surv)):
        for i, v in enumerate(values):
            rows.append([arm, i, 21.0, float(v)])
            day, death = surv[i] if surv is not None else (21.0, False)
            animals.append([arm, "p", i, "wt", "success", "", day, death, ""])
    readouts = pd.DataFrame(rows, columns=["arm", "animal", "day", "visible_nodules"])
    animals = pd.DataFrame(animals, columns=["arm", "part", "animal", "genotype", "status", "message",
                                             "survival_day", "death", "seed_key"])
    return StudyResult(animals, readouts, pd.DataFrame(), pd.DataFrame(), {"arms": ["a", "b"]})


def test_no_effect_rejects_at_about_alpha():
    rng = np.random.default_rng(3)
    res = pool_result(rng.lognormal(5, 0.5, 400), rng.lognormal(5, 0.5, 400))
    table = power_analysis(None, [Comparison("null", "visible_nodules", "a", "b", "different")], result=res,
                           n_grid=(10,), reps=1000, seed=1)
    # exact stochastic check: 1000 draws at alpha 0.05 -> SD 0.007; MW is slightly conservative
    assert 0.02 <= table["power_n10"].iloc[0] <= 0.075


def test_large_effect_needs_few_animals_and_direction_matters():
    rng = np.random.default_rng(4)
    res = pool_result(rng.lognormal(6, 0.3, 100), rng.lognormal(4, 0.3, 100))
    down = power_analysis(None, [Comparison("x", "visible_nodules", "a", "b", "lower")], result=res, reps=200)
    up = power_analysis(None, [Comparison("x", "visible_nodules", "a", "b", "higher")], result=res, reps=200)
    assert down["animals_needed"].iloc[0] <= 4 and down["power_n8"].iloc[0] == 1.0
    assert up["power_n8"].iloc[0] == 0.0 and up["needed_text"].iloc[0] == "> 30"


def test_survival_power_with_censoring():
    rng = np.random.default_rng(5)
    short = [(min(d, 60.0), d < 60) for d in rng.exponential(10, 100)]
    long_ = [(min(d, 60.0), d < 60) for d in rng.exponential(60, 100)]
    res = pool_result(np.ones(100), np.ones(100), short, long_)
    table = power_analysis(None, [Comparison("s", "survival", "a", "b", "longer")], result=res, reps=200,
                           n_grid=(3, 8, 15))
    assert table["power_n3"].iloc[0] < table["power_n8"].iloc[0] <= table["power_n15"].iloc[0]
    assert table["power_n15"].iloc[0] > 0.8


def test_readouts_are_compared_on_one_day_not_pooled_over_days():
    from immunomet.analysis.groups import last_common_day

    wide = pd.DataFrame({"arm": ["a", "a", "b", "b", "b"], "animal": [0, 0, 0, 0, 1], "day": [7, 14, 7, 14, 21],
                         "x": [1.0, 2.0, 3.0, np.nan, 5.0]})
    assert last_common_day(wide, ["a", "b"], "x") == 7   # b unmeasured on 14, a not read on 21
    assert last_common_day(wide, ["a", "b"]) == 7
    assert last_common_day(wide, ["b"], "x") == 21
    assert np.isnan(last_common_day(wide.assign(x=np.nan), ["a", "b"], "x"))
