"""Generate numba-compiled kernels of a model for the batched engine.

From the unit-checked expressions (the same ones the numpy code and the SBML export use):
``rhs(t, y, p, dy)`` for one animal with scalar arithmetic, ``selected(t, y, p, out)`` for a few
rules (the colonisation rates), and the Jacobian's sparsity pattern (which species each rate law
reads, through rules), used to colour columns for cheap finite-difference Jacobians and to plan a
sparse LU without pivoting (``batch_lu``).

Every kernel is compiled with ``nogil`` (the engine's threads run them side by side) and numpy's
error model (a division by zero gives inf or nan, which the integrator reports as a non-finite
state, instead of raising; it also leaves out the zero checks, so the code is smaller).
"""
from __future__ import annotations

import numpy as np

from .batch_lu import LUPlan, lu_source
from .batch_static import StaticSplit, names_in

PRELUDE = '''
import math

import numpy as np
from numba import njit

kernel = njit(nogil=True, error_model="numpy", no_cpython_wrapper=True, no_cfunc_wrapper=True)
entry = njit(cache=True, nogil=True, error_model="numpy")
inline = njit(nogil=True, error_model="numpy", inline="always")


@kernel
def _hill(x, k, n):
    x = max(x, 0.0)
    xn = x ** n
    return xn / (k ** n + xn)


@kernel
def _hill_kn(x, kn, n):
    """hill(x, k, n) given k ** n."""
    x = max(x, 0.0)
    xn = x ** n
    return xn / (kn + xn)


@kernel
def _occupancy(c, kd):
    c = max(c, 0.0)
    return c / (c + kd)
'''


def _scalar(code: str) -> str:
    return code.replace("np.exp(", "math.exp(").replace("np.log(", "math.log(")


def _preamble(compiled, split: StaticSplit, names: set[str]) -> list[str]:
    """Loads and dynamic rules for code that reads ``names``: species from ``y``, parameters and
    static slots from the extended parameter row ``p``, then the dynamic rules it needs."""
    rules = [(r, split.dynamic(_scalar(compiled.checked_rules[r].code)))
             for r in compiled.rule_closure(names) if r not in split.static_names]
    used = set(names) | {n for _, code in rules for n in names_in(code)}
    lines = [f"    {s} = max(y[{i}], 0.0)" for s, i in compiled.species_index.items() if s in used]
    lines += [f"    {q} = p[{i}]" for q, i in compiled.parameter_index.items() if q in used]
    lines += [f"    {q} = p[{split.slot_index(q)}]" for q in split.slots if q in used]
    return lines + [f"    {r} = {code}" for r, code in rules]


def kernel_source(compiled, selected: tuple[str, ...], lu_plan: LUPlan | None = None) -> str:
    """Source of the numba ``rhs``, ``selected`` and ``derive`` functions (and the sparse LU, given
    its plan). ``p`` in ``rhs`` and ``selected`` is the row ``derive`` makes: the parameters, then
    the static slots (``batch_static``); ``PARAMETER_ROW`` is its length."""
    split = StaticSplit(compiled, _scalar)
    rates = [split.dynamic(_scalar(checked.code)) for _, checked in compiled.checked_processes]
    names = set().union(*(names_in(code) for code in rates))
    body = ["@kernel", "def rhs(t, y, p, dy):", *_preamble(compiled, split, names)]
    terms: list[list[str]] = [[] for _ in compiled.species_names]
    for k, ((proc, _), code) in enumerate(zip(compiled.checked_processes, rates)):
        body.append(f"    v{k} = {code}")
        for species, coef in proc.changes.items():
            terms[compiled.species_index[species]].append(_term(float(coef), f"v{k}"))
    for i, species_terms in enumerate(terms):
        body.append(f"    dy[{i}] = {_sum(species_terms)}")
    sel = ["@kernel", "def selected(t, y, p, out):", *_preamble(compiled, split, set(selected))]
    sel += [f"    out[{k}] = {name}" for k, name in enumerate(selected)] or ["    pass"]
    lu = "\n\n" + lu_source(lu_plan) if lu_plan is not None else ""
    return (PRELUDE + "\n\n" + "\n".join(body) + "\n\n\n" + "\n".join(sel) + "\n\n\n" + split.derive_source()
            + f"\n\nPARAMETER_ROW = {split.width}\n" + lu)


def _term(coef: float, value: str) -> str:
    """``coef * value`` as a signed term (``+ v3``, ``- v4``, ``+ 2.0 * v5``)."""
    if abs(coef) == 1.0:
        return ("+ " if coef > 0 else "- ") + value
    return f"{'+' if coef > 0 else '-'} {abs(coef)!r} * {value}"


def _sum(terms: list[str]) -> str:
    """The terms added left to right from zero (the same rounding as ``dy[i] += ...`` in turn)."""
    if not terms:
        return "0.0"
    first = terms[0][2:] if terms[0].startswith("+ ") else "-" + terms[0][2:]
    return " ".join([first, *terms[1:]])


def jacobian_pattern(compiled) -> np.ndarray:
    """Boolean (n, n): entry (i, j) may be non-zero when a rate changing species i reads species j."""
    n = len(compiled.species_names)
    pattern = np.eye(n, dtype=bool)
    for proc, checked in compiled.checked_processes:
        rules = compiled.rule_closure(set(checked.names))
        read = set(checked.names) | {x for r in rules for x in compiled.checked_rules[r].names}
        cols = [compiled.species_index[s] for s in read if s in compiled.species_index]
        for species in proc.changes:
            pattern[compiled.species_index[species], cols] = True
    return pattern


def column_groups(pattern: np.ndarray) -> np.ndarray:
    """Greedy colouring: columns sharing no row get the same group (one RHS call per group)."""
    n = pattern.shape[1]
    group = -np.ones(n, dtype=np.int64)
    rows_of_group: list[np.ndarray] = []
    for j in np.argsort(-pattern.sum(axis=0), kind="stable"):
        for g, rows in enumerate(rows_of_group):
            if not np.any(rows & pattern[:, j]):
                group[j] = g
                rows_of_group[g] = rows | pattern[:, j]
                break
        else:
            group[j] = len(rows_of_group)
            rows_of_group.append(pattern[:, j].copy())
    return group


def jacobian_plan(pattern: np.ndarray, lu: LUPlan):
    """Finite-difference plan: per column group, its columns; per column, its rows' flat slots."""
    group = column_groups(pattern)
    n = pattern.shape[0]
    order = np.argsort(group, kind="stable")
    g_ptr = np.searchsorted(group[order], np.arange(group.max() + 2)).astype(np.int64)
    c_ptr = np.cumsum([0] + [int(pattern[:, j].sum()) for j in range(n)]).astype(np.int64)
    c_row = np.array([i for j in range(n) for i in np.flatnonzero(pattern[:, j])], np.int64)
    c_slot = np.array([lu.index[i, j] for j in range(n) for i in np.flatnonzero(pattern[:, j])], np.int64)
    return order.astype(np.int64), g_ptr, c_ptr, c_row, c_slot
