"""The batched engine's parts against independent references: the sparse LU against numpy's
dense solve, the per-animal static values (``derive``) and the generated RHS against the numpy
RHS, the thread split against one thread, and the one-time compile notice."""
import os
import subprocess
import sys

import numpy as np
import pytest

from immunomet import Protocol, Treatment
from immunomet.cohorts import Variability
from immunomet.simulate.batch_codegen import jacobian_pattern
from immunomet.simulate.batch_lu import lu_operation_count, pivot_order, sparse_lu_plan
from immunomet.simulate.batch_static import StaticSplit

numba = pytest.importorskip("numba")
from immunomet.simulate.batch import _stops  # noqa: E402
from immunomet.simulate.cohort import batch_engine  # noqa: E402


def test_markowitz_order_avoids_the_fill_of_an_arrow_matrix():
    """Dense first row and column: eliminating species 0 first fills everything; the order
    leaves it to the end, and the LU keeps exactly the matrix's own entries."""
    n = 6
    pattern = np.eye(n, dtype=bool)
    pattern[0, :] = pattern[:, 0] = True
    assert 0 not in pivot_order(pattern)[: n - 2]
    assert sparse_lu_plan(pattern).nnz == pattern.sum()
    assert sparse_lu_plan(pattern, order=np.arange(n)).nnz == n * n


def test_the_model_lu_is_sparser_than_in_species_order(mouse):
    pattern = jacobian_pattern(mouse.compile())
    plan, natural = sparse_lu_plan(pattern), sparse_lu_plan(pattern, order=np.arange(len(pattern)))
    assert plan.nnz < natural.nnz
    assert lu_operation_count(plan)[1] < lu_operation_count(natural)[1]


def _lu_wrappers(module):
    factor, solve = module.lu_factor, module.lu_solve

    @numba.njit
    def factor_and_solve(jac, c, a, b, inv_scale):
        factor(jac, c, a)
        return solve(a, b, inv_scale)

    return factor_and_solve


@pytest.mark.parametrize("c", [1e-3, 0.1, 2.0])
def test_sparse_lu_solves_the_iteration_matrix_like_numpy(mouse, c):
    engine = batch_engine(mouse)
    plan = engine._lu
    rng = np.random.default_rng(int(c * 1000))
    n = len(plan.order)
    dense_j = np.where(jacobian_pattern(engine.compiled), rng.normal(size=(n, n)), 0.0)
    jac = np.zeros(plan.nnz)
    rows, cols = np.nonzero(jacobian_pattern(engine.compiled))
    jac[plan.index[rows, cols]] = dense_j[rows, cols]
    b, inv_scale = rng.normal(size=n), rng.uniform(0.5, 2.0, size=n)
    x = b.copy()
    norm = _lu_wrappers(engine._module)(jac, c, np.empty(plan.nnz), x, inv_scale)
    expected = np.linalg.solve(np.eye(n) - c * dense_j, b)
    np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12)
    assert norm == pytest.approx(np.sqrt(np.mean((expected * inv_scale) ** 2)), rel=1e-9)


def test_static_sub_expressions_are_hoisted_with_their_parentheses(mouse):
    compiled = mouse.compile()
    split = StaticSplit(compiled, lambda code: code)
    assert "V_plasma" in split.static_names and "cancer_cells" not in split.static_names
    code = split.dynamic("(((CL_acd8 * body_weight) / V_plasma) * acd8_plasma)")
    name = code.split(" * ")[0]
    assert code == f"{name} * acd8_plasma" and split.slots[name] == "CL_acd8 * body_weight / V_plasma"
    assert split.dynamic("_hill(pdl1, K_pd1, n_pd1)").startswith("_hill_kn(pdl1, _static")


def test_generated_rhs_with_derived_row_matches_the_numpy_rhs(mouse):
    engine = batch_engine(mouse)
    compiled, module = engine.compiled, engine._module
    rhs, derive = module.rhs, module.derive

    @numba.njit
    def evaluate(t, y, p, row, dy):
        derive(p, row)
        rhs(t, y, row, dy)

    params, _ = mouse.resolve(Protocol("wt", days=10))
    p = compiled.parameter_vector(params)
    rng = np.random.default_rng(3)
    for _ in range(5):
        y = compiled.initial_state(p) + rng.uniform(0, 1e3, size=len(compiled.species_names))
        dy = np.empty_like(y)
        evaluate(2.0, y, p, np.empty(module.PARAMETER_ROW), dy)
        np.testing.assert_allclose(dy, compiled.rhs(2.0, y, p), rtol=1e-12, atol=1e-300)


def test_stops_are_sorted_distinct_and_inside_the_interval():
    dose_t = np.array([[3.0, 3.0, np.inf], [-1.0, 5.0, 50.0], [0.0, np.inf, np.inf]])
    stops, count = _stops(dose_t, np.array([0.0, -1.0, 0.0]), np.array([10.0, 10.0, 10.0]))
    assert list(count) == [3, 3, 2]
    assert stops[0, :3].tolist() == [0.0, 3.0, 10.0]
    assert stops[1, :3].tolist() == [-1.0, 5.0, 10.0]
    assert stops[2, :2].tolist() == [0.0, 10.0]


def _cohort(mouse, n):
    protocol = Protocol("il6-ko", (Treatment("anti-pdl1", 200, (8, 11)),), days=40)
    params, doses = mouse.resolve(protocol)
    engine = batch_engine(mouse)
    rng = np.random.default_rng(5)
    rows = np.stack([engine.compiled.parameter_vector(params.replace(**Variability(0.1).sample(params, rng)))
                     for _ in range(n)])
    return engine, rows, doses


def test_answers_do_not_depend_on_threads_or_batch_order(mouse):
    engine, rows, doses = _cohort(mouse, 24)
    out_t, fine_t = np.arange(0, 41.0), np.arange(0, 40.0, 0.5)
    threads = engine.threads
    try:
        engine.threads = 1
        one = engine.run(rows, [doses] * 24, 40.0, out_t, fine_t)
        engine.threads = 3
        three = engine.run(rows[::-1], [doses] * 24, 40.0, out_t, fine_t)
    finally:
        engine.threads = threads
    assert (one.status == 0).all()
    assert np.array_equal(one.states, three.states[::-1]) and np.array_equal(one.rates, three.rates[::-1])
    assert np.array_equal(one.steps, three.steps[::-1])


def test_a_zero_division_is_a_non_finite_state_not_an_exception(mouse):
    engine, rows, doses = _cohort(mouse, 2)
    rows[1, engine.compiled.parameter_index["body_weight"]] = 0.0  # plasma volume 0
    run = engine.run(rows, [doses] * 2, 40.0, np.arange(0, 41.0))
    assert run.status[0] == 0 and run.status[1] == 3 and "non-finite" in run.status_text(1)


_FIRST_RUN = """
import numpy as np
from immunomet import Protocol, load_model
from immunomet.simulate.cohort import batch_engine
model = load_model()
params, doses = model.resolve(Protocol("wt", days=2))
engine = batch_engine(model)
run = engine.run(engine.compiled.parameter_vector(params)[None, :], [doses], 2.0, np.arange(0, 3.0))
assert run.status[0] == 0
"""


def test_the_first_compile_says_so_once(tmp_path):
    """A fresh kernel cache compiles (and says it does, on stderr); the next process loads it."""
    env = dict(os.environ, IMMUNOMET_CACHE=str(tmp_path))
    first = subprocess.run([sys.executable, "-c", _FIRST_RUN], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", _FIRST_RUN], env=env, capture_output=True, text=True)
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-2000:] + second.stderr[-2000:]
    assert "compiling the batched engine" in first.stderr and "one-time" in first.stderr
    assert "compiling" not in second.stderr
