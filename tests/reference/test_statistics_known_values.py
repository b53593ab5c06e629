"""Statistics against published values on known data.

Freireich et al. 1963 (Blood 21:699) 6-MP vs placebo remission times, as analysed in Kleinbaum &
Klein, Survival Analysis (3rd ed., Springer 2012), ch. 2-3: log-rank chi2 = 16.79 (1 df); KM
medians 23 (6-MP) and 8 weeks (placebo); Cox HR placebo vs 6-MP = 4.817 (coef 1.572, Efron
ties), so 6-MP vs placebo = 0.208 with 95% CI 0.09-0.48.
"""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from immunomet.analysis.groups import benjamini_hochberg, compare, holm, kruskal
from immunomet.analysis.survival import cox_hazard_ratio, logrank_overall, logrank_pairwise, survival_table

MP = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1), (17, 0), (19, 0),
      (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]
PLACEBO = [(t, 1) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]


@pytest.fixture(scope="module")
def leukaemia():
    rows = [("6-MP", t, e) for t, e in MP] + [("placebo", t, e) for t, e in PLACEBO]
    return pd.DataFrame({"arm": [r[0] for r in rows], "survival_day": [float(r[1]) for r in rows],
                         "death": [bool(r[2]) for r in rows], "status": "success"})


def test_logrank_matches_kleinbaum(leukaemia):
    table = logrank_pairwise(leukaemia, ["placebo", "6-MP"])
    assert table["chi2"].iloc[0] == pytest.approx(16.79, abs=0.01)
    chi2, p, dof = logrank_overall(leukaemia, ["placebo", "6-MP"])
    assert chi2 == pytest.approx(16.79, abs=0.01) and dof == 1 and p < 1e-4


def test_kaplan_meier_medians(leukaemia):
    table = survival_table(leukaemia, ["6-MP", "placebo"]).set_index("arm")
    assert table.loc["6-MP", "median"] == 23 and table.loc["placebo", "median"] == 8
    assert table.loc["6-MP", "deaths"] == 9 and table.loc["placebo", "deaths"] == 21


def test_cox_hazard_ratio(leukaemia):
    hr = cox_hazard_ratio(leukaemia, "6-MP", "placebo")
    assert hr.hr == pytest.approx(1 / 4.817, rel=0.01)
    assert hr.low == pytest.approx(0.09, abs=0.01) and hr.high == pytest.approx(0.48, abs=0.02)


def test_cox_with_no_deaths_in_one_arm_stays_finite_and_says_so():
    animals = pd.DataFrame({"arm": ["a"] * 6 + ["b"] * 6, "survival_day": [10, 12, 14, 15, 18, 20] + [60] * 6,
                            "death": [True] * 6 + [False] * 6, "status": "success"})
    hr = cox_hazard_ratio(animals, "b", "a")
    assert np.isfinite(hr.hr) and hr.hr < 0.2 and "penalised" in hr.note


def test_mann_whitney_effect_sizes():
    a = np.array([10.0, 12, 14, 16, 18, 20])
    b = a / 3  # all below a, no ties
    c = compare(a, b)
    assert c.p == pytest.approx(stats.mannwhitneyu(b, a).pvalue)
    assert c.rank_biserial == -1.0  # every b below every a
    assert c.ratio == pytest.approx(1 / 3)
    assert c.ratio_low <= 1 / 3 <= c.ratio_high
    assert c.shift == pytest.approx(np.median(np.subtract.outer(b, a)))


def test_nan_animals_are_dropped_and_tiny_groups_give_no_test():
    c = compare([1.0, np.nan, 3.0, 4.0], [5.0, 6.0, np.nan])
    assert (c.n_a, c.n_b) == (3, 2)
    assert compare([1.0], [2.0, 3.0]).p == 1.0


def test_kruskal_matches_scipy():
    groups = {"a": [1.0, 2, 3, 4], "b": [3.0, 4, 5, 6], "c": [7.0, 8, 9, 10]}
    assert kruskal(groups)[1] == pytest.approx(stats.kruskal(*groups.values()).pvalue)


def test_holm_and_bh_known_values():
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02])


def test_scipy_logrank_used_for_power_equals_lifelines(leukaemia):
    """The power simulation uses scipy.stats.logrank (40x faster); it is the same test."""
    from scipy.stats import CensoredData, logrank

    a, b = leukaemia[leukaemia.arm == "placebo"], leukaemia[leukaemia.arm == "6-MP"]
    x = CensoredData(uncensored=a.survival_day[a.death], right=a.survival_day[~a.death])
    y = CensoredData(uncensored=b.survival_day[b.death], right=b.survival_day[~b.death])
    res = logrank(x, y)
    assert res.statistic ** 2 == pytest.approx(16.79, abs=0.01)
    assert res.pvalue == pytest.approx(logrank_pairwise(leukaemia, ["placebo", "6-MP"])["p"].iloc[0], rel=1e-9)


def test_cox_with_arms_separated_in_time_is_penalised_and_says_so():
    animals = pd.DataFrame({"arm": ["a"] * 5 + ["b"] * 5, "survival_day": [20, 21, 22, 23, 24, 30, 31, 32, 33, 34],
                            "death": True, "status": "success"})
    hr = cox_hazard_ratio(animals, "b", "a")
    assert 0 < hr.low < hr.hr < 1 and np.isfinite(hr.high) and "separated" in hr.note


def test_vectorised_logrank_matches_kleinbaum_and_scipy():
    """``analysis.logrank`` (power by simulation) on the 6-MP data: chi2 = z^2 = 16.79 (Kleinbaum &
    Klein), and on random tied, censored data the same z and p as scipy.stats.logrank row by row."""
    from immunomet.analysis.logrank import logrank_many

    t1, e1 = np.array([[t for t, _ in PLACEBO]], float), np.array([[e for _, e in PLACEBO]], bool)
    t2, e2 = np.array([[t for t, _ in MP]], float), np.array([[e for _, e in MP]], bool)
    z, p = logrank_many(t1, e1, t2, e2)
    assert z[0] ** 2 == pytest.approx(16.79, abs=0.01) and z[0] > 0  # placebo: more events than expected
    rng = np.random.default_rng(1)
    a, b = np.minimum(np.round(rng.exponential(20, (200, 7))), 40), np.minimum(np.round(rng.exponential(30, (200, 9))), 40)
    ea, eb = (rng.random(a.shape) < 0.7) & (a < 40), (rng.random(b.shape) < 0.7) & (b < 40)
    z, p = logrank_many(a, ea, b, eb)
    for r in range(200):
        ref = stats.logrank(stats.CensoredData(uncensored=a[r][ea[r]], right=a[r][~ea[r]]),
                            stats.CensoredData(uncensored=b[r][eb[r]], right=b[r][~eb[r]]))
        assert (z[r], p[r]) == (pytest.approx(ref.statistic, rel=1e-9), pytest.approx(ref.pvalue, rel=1e-9))


def test_vectorised_rmst_matches_lifelines():
    """Restricted mean survival time of each row = lifelines' area under the KM curve up to the last time."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    from immunomet.analysis.logrank import rmst_many

    rng = np.random.default_rng(2)
    t = np.round(rng.exponential(10, (20, 12)), 1)
    e = rng.random(t.shape) < 0.6
    ours = rmst_many(t, e)
    for r in range(20):
        fit = KaplanMeierFitter().fit(t[r], e[r])
        assert ours[r] == pytest.approx(restricted_mean_survival_time(fit, t=t[r].max()), rel=1e-9)
