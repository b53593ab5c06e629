"""Relapse day (first metastasis reaching D cells) against exact Gillespie first-passage times.

``readouts.relapse`` takes P(relapse by t) = 1 - exp(-max_{s<=t} Lambda(s)), with Lambda the
expected number of lineages of at least D cells (Kendall 1948 closed form). The exact quantity is
the first time any of M lineages reaches D cells, simulated here with the direct method
(``simulate.ssa.first_passage_times``). The formula is an approximation (Poisson for binomial,
size-at-t for first passage), so the tolerance is 4 Monte-Carlo standard errors plus 0.01.
"""
import numpy as np
import pandas as pd
import pytest

from immunomet.readouts.relapse import Surveillance, relapse_day
from immunomet.simulate.colonization import NoduleSample, lineage_statistics
from immunomet.simulate.result import SimulationResult
from immunomet.simulate.ssa import first_passage_times

# innate clearance for a day, then slow growth, then faster growth
EDGES = np.array([0.0, 1.0, 3.0, 12.0])
BIRTH = [0.8, 0.8, 0.8]
DEATH = [2.0, 0.5, 0.3]
CELLS, THRESHOLD, T_END, REPS = 20, 40, 12.0, 3000


@pytest.fixture(scope="module")
def lineages():
    times = np.linspace(0.0, T_END, 120001)
    mid = np.minimum(times + 1e-9, T_END - 1e-9)
    idx = np.searchsorted(EDGES, mid, side="right") - 1
    return lineage_statistics(times, np.asarray(BIRTH)[idx], np.asarray(DEATH)[idx])


def fake_result(lineages) -> SimulationResult:
    days = pd.Index([0.0, T_END], name="day")
    nodules = NoduleSample(T_END, CELLS, np.zeros(0), THRESHOLD)
    return SimulationResult(pd.DataFrame(index=days), pd.DataFrame(index=days), {}, "success", "", lineages, nodules)


@pytest.fixture(scope="module")
def ssa_first_detection():
    rng = np.random.default_rng(20261124)
    times = first_passage_times(EDGES, BIRTH, DEATH, T_END, THRESHOLD, CELLS * REPS, rng)
    return times.reshape(REPS, CELLS).min(axis=1)


@pytest.fixture(scope="module")
def readout_days(lineages):
    result = fake_result(lineages)
    rng = np.random.default_rng(7)
    return np.array([d if e else np.inf for d, e in (relapse_day(result, rng) for _ in range(REPS))])


@pytest.mark.parametrize("day", [4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0])
def test_relapse_distribution_matches_exact_first_passage(ssa_first_detection, readout_days, day):
    exact = np.mean(ssa_first_detection <= day)
    ours = np.mean(readout_days <= day)
    se = np.sqrt(max(exact * (1 - exact), 1e-4) / REPS)
    assert abs(ours - exact) < 4 * np.sqrt(2) * se + 0.01, (day, ours, exact)


def test_surveillance_finds_a_relapse_at_the_next_scan(lineages):
    result = fake_result(lineages)
    continuous = relapse_day(result, np.random.default_rng(3))
    scanned = relapse_day(result, np.random.default_rng(3), Surveillance(scan_every=2.0))
    assert continuous[1]
    assert scanned == (np.ceil(continuous[0] / 2.0) * 2.0, True) or scanned == (T_END, False)
