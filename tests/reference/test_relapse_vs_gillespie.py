"""Relapse day (first metastasis reaching D cells) against exact Gillespie first-passage times.

``readouts.relapse`` takes P(relapse by t) = 1 - exp(-max_{s<=t} Lambda(s)), with Lambda the
expected number of lineages of at least D cells (Kendall 1948 closed form). The exact quantity is
the first time any of M lineages reaches D cells, simulated here with the direct method
(``simulate.ssa.first_passage_times``). The formula is an approximation (Poisson for binomial,
size-at-t for first passage), so the tolerance is 4 Monte-Carlo standard errors plus 0.01.
"""
import numpy as np
import pytest

from immunomet.readouts.relapse import Surveillance, detection_days, log_detectable_metastases
from immunomet.simulate import Colonisation
from immunomet.simulate.colonization import lineage_statistics
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


def colonisation(lineages) -> Colonisation:
    """CELLS lodged cells, each founding a lineage with these statistics."""
    return Colonisation(lineages.times, lineages.log_survival[None, :], lineages.log_mean_size[None, :],
                        np.array([CELLS]), np.array([float(THRESHOLD)]))


def relapse_draws(lineages, rng, reps: int, surveillance=Surveillance()):
    col = colonisation(lineages)
    levels = np.log(rng.exponential(size=reps))
    return detection_days(col.times, log_detectable_metastases(col), levels, T_END, surveillance)


@pytest.fixture(scope="module")
def ssa_first_detection():
    rng = np.random.default_rng(20261124)
    times = first_passage_times(EDGES, BIRTH, DEATH, T_END, THRESHOLD, CELLS * REPS, rng)
    return times.reshape(REPS, CELLS).min(axis=1)


@pytest.fixture(scope="module")
def readout_days(lineages):
    day, relapsed = relapse_draws(lineages, np.random.default_rng(7), REPS)
    return np.where(relapsed, day, np.inf)


@pytest.mark.parametrize("day", [4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0])
def test_relapse_distribution_matches_exact_first_passage(ssa_first_detection, readout_days, day):
    exact = np.mean(ssa_first_detection <= day)
    ours = np.mean(readout_days <= day)
    se = np.sqrt(max(exact * (1 - exact), 1e-4) / REPS)
    assert abs(ours - exact) < 4 * np.sqrt(2) * se + 0.01, (day, ours, exact)


def test_surveillance_finds_a_relapse_at_the_next_scan(lineages):
    continuous = relapse_draws(lineages, np.random.default_rng(3), 50)
    scanned = relapse_draws(lineages, np.random.default_rng(3), 50, Surveillance(scan_every=2.0))
    assert continuous[1].any()
    found = continuous[1] & (np.ceil(continuous[0] / 2.0) * 2.0 <= T_END)
    assert np.array_equal(scanned[0][found], np.ceil(continuous[0][found] / 2.0) * 2.0) and scanned[1][found].all()
    assert np.array_equal(scanned[0][~found], np.full((~found).sum(), T_END)) and not scanned[1][~found].any()
