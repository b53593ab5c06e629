"""Closed-form birth-death statistics (Kendall 1948, Ann Math Stat 19:1-15) against exact Gillespie.

Rates are piecewise constant on a grid, for which the SSA in ``immunomet.simulate.ssa`` is
exact; the closed form integrates the same step functions (on a grid fine enough that the
trapezoid rule's error at the steps is far below the statistical tolerance). Tolerance: 4
standard errors of the Monte-Carlo estimate (false-failure rate < 1e-4 per comparison).
"""
import numpy as np
import pytest

from immunomet.simulate.colonization import lineage_statistics, visible_probability
from immunomet.simulate.ssa import simulate_lineages


def step_rates(times, edges, birth_steps, death_steps):
    idx = np.searchsorted(edges, times, side="right") - 1
    return np.asarray(birth_steps)[idx], np.asarray(death_steps)[idx]


# a lineage under innate clearance, then growth, then a wave of immune killing
EDGES = np.array([0.0, 1.0, 3.0, 4.5, 6.0])
BIRTH = [0.8, 0.8, 0.8, 0.8]
DEATH = [2.0, 0.3, 1.6, 0.2]


@pytest.fixture(scope="module")
def ssa_sizes():
    rng = np.random.default_rng(20191201)
    return simulate_lineages(EDGES, BIRTH, DEATH, t_end=6.0, n_lineages=6000, rng=rng)


@pytest.fixture(scope="module")
def closed_form():
    times = np.linspace(0.0, 6.0, 60001)
    # evaluate the step functions at cell midpoints so each trapezoid sees one constant rate
    mid = np.minimum(times + 1e-9, 6.0 - 1e-9)
    b, d = step_rates(mid, EDGES, BIRTH, DEATH)
    return lineage_statistics(times, b, d)


def test_extinction_probability_matches_gillespie(ssa_sizes, closed_form):
    p_alive, _ = closed_form.at(6.0)
    observed = np.mean(ssa_sizes > 0)
    se = np.sqrt(p_alive * (1 - p_alive) / len(ssa_sizes))
    assert abs(observed - p_alive) < 4 * se, (observed, p_alive, se)


def test_mean_surviving_size_matches_gillespie(ssa_sizes, closed_form):
    _, mean_alive = closed_form.at(6.0)
    alive = ssa_sizes[ssa_sizes > 0]
    se = alive.std(ddof=1) / np.sqrt(len(alive))
    assert abs(alive.mean() - mean_alive) < 4 * se, (alive.mean(), mean_alive, se)


def test_surviving_sizes_are_geometric(ssa_sizes, closed_form):
    _, mean_alive = closed_form.at(6.0)
    alive = ssa_sizes[ssa_sizes > 0]
    threshold = 3
    expected = visible_probability(mean_alive, threshold)
    observed = np.mean(alive >= threshold)
    se = np.sqrt(expected * (1 - expected) / len(alive))
    assert abs(observed - expected) < 4 * se


def test_constant_rates_reach_the_classical_limit():
    # survival of a supercritical lineage tends to 1 - mu/lambda
    t = np.linspace(0, 200, 20001)
    stats = lineage_statistics(t, np.full_like(t, 0.5), np.full_like(t, 0.2))
    assert stats.survival[-1] == pytest.approx(1 - 0.2 / 0.5, rel=1e-6)
    # and the mean over all lineages is exp((lambda - mu) t)
    assert stats.log_mean_size[1000] == pytest.approx(0.3 * t[1000], rel=1e-9)


def test_strong_killing_does_not_overflow():
    t = np.linspace(0, 100, 1001)
    stats = lineage_statistics(t, np.full_like(t, 0.5), np.full_like(t, 15.0))
    assert np.all(np.isfinite(stats.log_survival)) and stats.survival[-1] < 1e-10
