"""The SALib wrappers (``calibration.sensitivity.sample`` / ``analyse``) on functions with known indices.

- Ishigami function (a = 7, b = 0.1, x_i ~ U(-pi, pi)): first-order Sobol indices 0.314, 0.442, 0
  and total-order 0.558, 0.442, 0.244 (Ishigami & Homma 1990; Saltelli et al. 2008, Global
  Sensitivity Analysis: The Primer, section 4.7). Tolerance 0.05 at N = 2048.
- A linear function on the unit cube: each Morris elementary effect equals the coefficient, so
  mu* = |coefficient| exactly (Morris 1991).
"""
import numpy as np
import pytest

pytest.importorskip("SALib")

from immunomet.calibration.sensitivity import analyse, sample  # noqa: E402

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def ishigami(X):
    return np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_sobol_indices_of_the_ishigami_function():
    X = sample(ISHIGAMI, "sobol", 2048, seed=1)
    table = analyse(ISHIGAMI, "sobol", X, ishigami(X), seed=1).set_index("parameter")
    assert table.loc[["x1", "x2", "x3"], "S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert table.loc[["x1", "x2", "x3"], "ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.05)
    assert list(table["rank"]) == [1, 2, 3] and table.index[0] == "x1"  # ranked by total order


def test_morris_mu_star_of_a_linear_function():
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    X = sample(problem, "morris", 20, seed=2)
    table = analyse(problem, "morris", X, X @ np.array([3.0, -1.0, 0.0]), seed=2).set_index("parameter")
    assert table.loc[["a", "b", "c"], "mu_star"].to_numpy() == pytest.approx([3.0, 1.0, 0.0], abs=1e-9)
