"""Replication probability: the row statistics equal scipy/lifelines one experiment at a time, the
resampled probability equals a known rejection rate, and it agrees with fresh independent runs."""
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

import immunomet as im
from immunomet.analysis.arms import ArmKey
from immunomet.analysis.criteria import readout_rows
from immunomet.analysis.findings import FINDINGS, Criterion, Finding, check_findings
from immunomet.analysis.groups import holm
from immunomet.analysis.logrank import rmst_many
from immunomet.analysis.replication import (Pools, population_summary, replicate, replication_over_sets,
                                            replication_probability, simulate_pools)
from immunomet.analysis.rowstats import holm_rows, kaplan_meier_rows, mannwhitney_p, wilson
from immunomet.studies.result import StudyResult

from synthetic_runs import nodule_result  # tests/unit/synthetic_runs.py

WT, KO = ArmKey("wt"), ArmKey("il6-ko")


# ---- row statistics --------------------------------------------------------------------------------
def _u(a, b, axis):
    return stats.mannwhitneyu(a, b, axis=axis, method="asymptotic").statistic


def test_mann_whitney_rows_are_exact_for_small_groups_also_with_ties():
    """Rows without ties: scipy's exact test. Rows with ties: scipy's exact permutation test of U
    (every split of the values), where scipy's "auto" would use the normal approximation.
    Larger groups: scipy's normal approximation with tie correction."""
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(12, 8)), 1)
    y = np.round(rng.normal(0.8, 1, size=(12, 6)), 1)
    y[::3, 0] = x[::3, 1]  # ties in every third row
    tied = [i for i in range(12) if len(np.unique(np.r_[x[i], y[i]])) < 14]
    for alternative in ("two-sided", "greater", "less"):
        rows = mannwhitney_p(x, y, alternative)
        for i in range(12):
            if i in tied:
                one = stats.permutation_test((y[i], x[i]), _u, permutation_type="independent",
                                             alternative=alternative, n_resamples=np.inf).pvalue
            else:
                one = stats.mannwhitneyu(y[i], x[i], alternative=alternative).pvalue
            assert rows[i] == pytest.approx(one, rel=1e-9), (i, alternative)
    assert len(tied) >= 4
    big_x, big_y = rng.normal(size=(5, 12)).round(1), rng.normal(size=(5, 12)).round(1)
    assert np.allclose(mannwhitney_p(big_x, big_y), [stats.mannwhitneyu(b, a).pvalue for a, b in zip(big_x, big_y)])
    assert mannwhitney_p(np.ones((1, 5)), np.ones((1, 5)))[0] == 1.0  # no evidence either way
    # three tied animals per group: no split is more extreme than 1 in 20, so nothing is significant
    assert mannwhitney_p(np.zeros((1, 3)), np.ones((1, 3)), "greater")[0] == pytest.approx(0.05)


def test_holm_rows_equals_holm_per_row():
    p = np.random.default_rng(1).uniform(0, 0.2, (50, 4))
    assert np.allclose(holm_rows(p), [holm(row) for row in p])
    assert np.allclose(holm_rows(np.array([[0.01, np.nan]])), [[0.02, 1.0]])


def test_kaplan_meier_rows_median_rmst_and_variance():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(2)
    t = np.round(rng.exponential(20, (20, 12)), 1)
    e = rng.random((20, 12)) < 0.7
    member = rng.random((20, 12)) < 0.6
    member[:, :2] = True
    km = kaplan_meier_rows(t, e, member)
    for i in range(20):
        ti, ei = t[i][member[i]], e[i][member[i]]
        fit = KaplanMeierFitter().fit(ti, ei)
        sf = fit.survival_function_.iloc[:, 0]
        below = sf.index[sf.to_numpy() <= 0.5 + 1e-9]
        assert km["median"][i] == (below[0] if len(below) else np.inf)
        assert km["rmst"][i] == pytest.approx(rmst_many(ti[None, :], ei[None, :])[0])
        assert km["rmst_var"][i] == pytest.approx(_greenwood_rmst_variance(ti, ei))
    # uncensored: the variance of the mean, sum (x - mean)^2 / n^2; the median is the ceil(n/2)-th death
    x = np.arange(1.0, 9.0)[None, :]
    km = kaplan_meier_rows(x, np.ones_like(x, bool), np.ones_like(x, bool))
    assert km["rmst_var"][0] == pytest.approx(x.var() / 8) and km["median"][0] == 4.0


def _greenwood_rmst_variance(t, e):
    """Klein & Moeschberger eq. 4.5.1 over distinct event times, written out loop by loop."""
    tau = t.max()
    times = np.unique(t[e])
    surv, s = {}, 1.0
    for u in times:
        s *= 1 - ((t == u) & e).sum() / (t >= u).sum()
        surv[u] = s
    grid = np.concatenate([[0.0], times, [tau]])
    levels = [1.0] + [surv[u] for u in times]
    total = 0.0
    for k, u in enumerate(times):
        area = sum(levels[j + 1] * (min(grid[j + 2], tau) - grid[j + 1]) for j in range(k, len(times)))
        d, y = ((t == u) & e).sum(), (t >= u).sum()
        total += area**2 * d / (y * (y - d)) if y > d else 0.0
    return total


def test_wilson_interval_equals_scipy_for_counts():
    for k, n in ((5, 10), (0, 40), (40, 40), (3, 400)):
        ci = stats.binomtest(k, n).proportion_ci(method="wilson")
        assert wilson(k / n, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


# ---- the resampled probability ----------------------------------------------------------------------
def _synthetic_pool(plan, values: dict[str, np.ndarray]) -> StudyResult:
    return nodule_result(values)


@pytest.fixture(scope="module")
def plan():
    return im.plan_study(im.load_builtin("toyoshima2019")).with_engine("auto")


def test_under_no_effect_a_directional_finding_replicates_at_half_the_exact_test_size(plan):
    """Both arms from one distribution: a "lower" criterion passes when the exact two-sided
    Mann-Whitney test rejects (its size at n = 8: P(p < 0.05), from scipy's null distribution)
    with the arm lower, i.e. in half of those draws."""
    rng = np.random.default_rng(3)
    pool = _synthetic_pool(plan, {"WT isotype": rng.lognormal(5, 1, 20000),
                                  "Il6-/- isotype": rng.lognormal(5, 1, 20000)})
    finding = Finding("N", "null", (Criterion("visible_nodules", WT, KO, "lower"),))
    table, _ = replicate(Pools(plan, pool, 20000, (finding,)), reps=4000, seed=1)
    from itertools import combinations

    chosen = np.zeros((12870, 16), bool)  # every equally likely split of ranks 1-16 into two arms of 8
    chosen[np.arange(12870)[:, None], np.array(list(combinations(range(16), 8)))] = True
    ranks = np.broadcast_to(np.arange(16.0), (12870, 16))
    size = np.mean(stats.mannwhitneyu(ranks[chosen].reshape(-1, 8), ranks[~chosen].reshape(-1, 8), axis=1,
                                      method="exact").pvalue < 0.05)
    row = table.iloc[0]
    assert row["low"] <= size / 2 <= row["high"], (row.to_dict(), size / 2)


def test_a_large_effect_always_replicates_and_a_wrong_direction_never(plan):
    rng = np.random.default_rng(4)
    pool = _synthetic_pool(plan, {"WT isotype": rng.lognormal(6, 0.3, 2000),
                                  "Il6-/- isotype": rng.lognormal(4, 0.3, 2000)})
    lower = Finding("L", "lower", (Criterion("visible_nodules", WT, KO, "lower"),))
    higher = Finding("H", "higher", (Criterion("visible_nodules", WT, KO, "higher"),))
    table, _ = replicate(Pools(plan, pool, 2000, (lower, higher)), reps=300)
    assert table.set_index("finding")["probability"].to_dict() == {"L": 1.0, "H": 0.0}


def test_the_interval_covers_the_pools_own_sampling_error(plan):
    """A pool is itself a sample: estimates from 40 independent pools of 150 animals per arm
    spread as the interval's standard error (binomial + infinitesimal jackknife) says, and
    clearly more than the replicates' binomial error alone."""
    rng = np.random.default_rng(5)
    finding = Finding("E", "effect", (Criterion("visible_nodules", WT, KO, "lower"),))
    estimates, errors = [], []
    for k in range(40):
        pool = _synthetic_pool(plan, {"WT isotype": rng.lognormal(5.4, 1, 150),
                                      "Il6-/- isotype": rng.lognormal(4.6, 1, 150)})
        row = replicate(Pools(plan, pool, 150, (finding,)), reps=400, seed=k)[0].iloc[0]
        estimates.append(row["probability"])
        errors.append(np.hypot(row["pool_se"], np.sqrt(row["probability"] * (1 - row["probability"]) / 400)))
    spread, binomial = np.std(estimates, ddof=1), np.sqrt(np.mean(estimates) * (1 - np.mean(estimates)) / 400)
    assert 0.7 < np.mean(errors) / spread < 1.4, (np.mean(errors), spread)
    assert spread > 1.5 * binomial


# F1's nodule criterion (Il6-/- fewer visible nodules than WT) on the default model. The group size
# of the comparison is the largest n <= 8 at which the resampled probability is informative
# (neither near 0 nor near 1), so the tests do not depend on how strong the calibrated effect is.
NODULES_F1 = Finding("F1", "Il6-/- mice form fewer visible nodules than WT", FINDINGS[0].criteria[:1])


@pytest.fixture(scope="module")
def f1_pools(plan):
    """F1's two arms: 600 simulated animals each (the pool), 320 fresh animals each (40 blocks), and
    the informative group size."""
    arms = tuple(a for a in plan.arms if a.name in ("WT isotype", "Il6-/- isotype"))
    small = replace(plan, arms=arms)
    pools = simulate_pools(small, (NODULES_F1,), pool=600, workers=2)
    fresh = im.run_study(small.with_animals(320).with_seed(7), workers=2)
    probability = {n: replicate(pools, (n,), reps=400)[0].iloc[0]["probability"] for n in range(8, 3, -1)}
    n = next((n for n, p in probability.items() if 0.2 < p < 0.7), None)
    assert n is not None, f"no group size from 4 to 8 gives an informative probability: {probability}"
    return small, pools, fresh, n


def test_resampled_probability_agrees_with_fresh_experiments(f1_pools):
    """40 experiments of n fresh animals per arm (disjoint blocks of one run with another seed:
    every animal independently seeded, as in 40 re-seeded runs), each checked by check_findings,
    pass as often as the replicates drawn from the pool (within the two estimates' combined 95%
    error)."""
    small, pools, fresh, n = f1_pools
    passed = []
    for k in range(40):
        block = lambda t: t[(t["animal"] >= n * k) & (t["animal"] < n * (k + 1))]  # noqa: E731
        run = StudyResult(block(fresh.animals), block(fresh.readouts), fresh.timecourses, fresh.parameters,
                          fresh.provenance)
        passed.append(check_findings(run, small, findings=(NODULES_F1,))[0].status == "PASS")
    table, _ = replicate(pools, (n,), reps=400)
    resampled, direct = table.iloc[0]["probability"], np.mean(passed)
    error = 1.96 * np.sqrt(resampled * (1 - resampled) / 400 + direct * (1 - direct) / 40)
    assert abs(resampled - direct) <= max(error, 0.05), (n, resampled, direct)


def test_replication_probability_reports_design_other_sizes_joint_and_needs(f1_pools):
    small, pools, _, n = f1_pools
    design = small.with_animals(n)
    rep = replication_probability(design, pools=replace(pools, plan=design), sizes=(20,), reps=200,
                                  grid=(n, 20, 40))
    assert list(rep.table["n"]) == ["design", 20] and set(rep.table["finding"]) == {"F1"}  # no joint without F2-F7
    at_design, at_20 = rep.probability("F1"), rep.probability("F1", 20)
    assert at_20 > at_design
    row = rep.needs.iloc[0]
    assert at_design < 0.8 and row["needed_text"].startswith(("n = ", "n > "))
    assert "replicates" in rep.sentence("F1") and "needs n " in rep.sentence("F1")


def test_over_parameter_sets_gives_the_distribution(plan):
    arms = tuple(a for a in plan.arms if a.name in ("WT isotype", "Il6-/- isotype"))
    small = replace(plan, arms=arms)
    sets = [{}, {"imax_il6_maturation": 0.5, "imax_il6_cytokine": 0.5, "EC50_il6": 25.0}]
    table = replication_over_sets(small, sets, findings=(NODULES_F1,), pool=60, reps=100)
    assert list(table["set"]) == [0, 1]
    weak_il6 = table.set_index("set")["probability"]
    assert weak_il6[1] < weak_il6[0]  # a weaker IL-6 -> DC block replicates F1 less often
    summary = population_summary(table)
    assert summary.iloc[0]["sets"] == 2 and summary.iloc[0]["p5"] <= summary.iloc[0]["median"] <= summary.iloc[0]["p95"]


def test_over_parameter_sets_at_other_group_sizes(plan):
    arms = tuple(a for a in plan.arms if a.name in ("WT isotype", "Il6-/- isotype"))
    small = replace(plan, arms=arms).with_animals(4)
    table = replication_over_sets(small, [{}], findings=(NODULES_F1,), sizes=(None, 30), pool=60, reps=100)
    assert list(table["n"]) == ["design", 30]
    summary = population_summary(table).set_index("n")
    assert summary.loc[30, "median"] > summary.loc["design", "median"]  # 30 mice per arm find F1 more often than 4
    assert summary.loc[30, "share_reaching_target"] in (0.0, 1.0)  # one set: it reaches 0.8 or not


def test_rows_with_an_unmeasured_animal_are_decided_on_the_measured_ones():
    x = np.array([[1.0, 2.0, 3.0, 4.0, np.nan], [1.0, 2.0, 3.0, 4.0, 5.0]])
    y = np.array([[5.0, 6.0, 7.0, 8.0, 9.0], [5.0, 6.0, 7.0, 8.0, 9.0]])
    out = readout_rows("higher", np.nan, "visible_nodules", x, y)
    assert list(out["n_ref"]) == [4, 5]
    assert out["p"][0] == pytest.approx(stats.mannwhitneyu(y[0], x[0, :4]).pvalue)


def test_a_study_without_the_findings_arms_gets_empty_tables_not_an_error(plan):
    from immunomet.analysis.replication import Replication, needs

    pools = Pools(plan, None, 10, ())
    table, criteria = replicate(pools, (None, 12), reps=10)
    assert table.empty and "probability" in table and criteria.empty
    rep = Replication(table, criteria, needs(pools, table), 10, 10)
    assert rep.sentence("F1").startswith("replication: not estimated")
