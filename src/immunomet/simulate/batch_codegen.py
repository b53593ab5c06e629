"""Generate numba-compiled kernels of a model for the batched engine.

From the unit-checked expressions (the same ones the numpy code and the SBML export use):
``rhs(t, y, p, dy)`` for one animal with scalar arithmetic, ``selected(t, y, p, out)`` for a few
rules (the colonisation rates), and the Jacobian's sparsity pattern (which species each rate law
reads, through rules), used to colour columns for cheap finite-difference Jacobians and to plan a
sparse LU without pivoting.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

_PRELUDE = '''
import math
from numba import njit

@njit(inline="always")
def _hill(x, k, n):
    x = max(x, 0.0)
    xn = x ** n
    return xn / (k ** n + xn)

@njit(inline="always")
def _occupancy(c, kd):
    c = max(c, 0.0)
    return c / (c + kd)
'''


def _scalar(code: str) -> str:
    return code.replace("np.exp(", "math.exp(").replace("np.log(", "math.log(")


def rule_closure(compiled, names: set[str]) -> list[str]:
    """The rules ``names`` need, transitively, in evaluation order."""
    need: set[str] = set()
    stack = [n for n in names if n in compiled.checked_rules]
    while stack:
        rule = stack.pop()
        if rule not in need:
            need.add(rule)
            stack += [n for n in compiled.checked_rules[rule].names if n in compiled.checked_rules]
    return [r for r in compiled.rule_names if r in need]


def _preamble(compiled, names: set[str]) -> list[str]:
    rules = rule_closure(compiled, names)
    used = set(names) | {n for r in rules for n in compiled.checked_rules[r].names}
    lines = [f"    {s} = max(y[{i}], 0.0)" for s, i in compiled.species_index.items() if s in used]
    lines += [f"    {q} = p[{i}]" for q, i in compiled.parameter_index.items() if q in used]
    lines += [f"    {r} = {_scalar(compiled.checked_rules[r].code)}" for r in rules]
    return lines


def kernel_source(compiled, selected: tuple[str, ...], lu_plan: "LUPlan | None" = None) -> str:
    """Source of the numba ``rhs`` and ``selected`` functions (and the sparse LU, given its plan)."""
    names = set().union(*(c.names for _, c in compiled.checked_processes))
    body = ["@njit", "def rhs(t, y, p, dy):", *_preamble(compiled, names)]
    body.append("    for i in range(dy.shape[0]):\n        dy[i] = 0.0")
    for k, (proc, checked) in enumerate(compiled.checked_processes):
        body.append(f"    v{k} = {_scalar(checked.code)}")
        for species, coef in proc.changes.items():
            body.append(f"    dy[{compiled.species_index[species]}] += {float(coef)!r} * v{k}")
    sel = ["@njit", "def selected(t, y, p, out):", *_preamble(compiled, set(selected))]
    sel += [f"    out[{k}] = {name}" for k, name in enumerate(selected)] or ["    pass"]
    lu = "\n\n" + lu_source(lu_plan) if lu_plan is not None else ""
    return _PRELUDE + "\n\n" + "\n".join(body) + "\n\n\n" + "\n".join(sel) + "\n" + lu


def lu_source(plan: "LUPlan") -> str:
    """Straight-line numba code for the planned sparse LU: ``lu_factor(a)`` and ``lu_solve(a, b)``
    (no index arrays to load at run time: about 3x faster than the generic loops)."""
    fac = ["@njit", "def lu_factor(a):"]
    for s_ in range(len(plan.scale_l)):
        fac.append(f"    a[{plan.scale_l[s_]}] /= a[{plan.scale_d[s_]}]")
        for u in range(plan.upd_ptr[s_], plan.upd_ptr[s_ + 1]):
            fac.append(f"    a[{plan.upd_t[u]}] -= a[{plan.upd_l[u]}] * a[{plan.upd_u[u]}]")
    if len(fac) == 2:
        fac.append("    pass")
    sol = ["@njit", "def lu_solve(a, b):"]
    n = len(plan.diag)
    for i in range(n):
        terms = [f" - a[{plan.l_idx[q]}] * b[{plan.l_col[q]}]" for q in range(plan.l_ptr[i], plan.l_ptr[i + 1])]
        if terms:
            sol.append(f"    b[{i}] = b[{i}]" + "".join(terms))
    for i in range(n - 1, -1, -1):
        terms = [f" - a[{plan.u_idx[q]}] * b[{plan.u_col[q]}]" for q in range(plan.u_ptr[i], plan.u_ptr[i + 1])]
        sol.append(f"    b[{i}] = (b[{i}]" + "".join(terms) + f") / a[{plan.diag[i]}]")
    return "\n".join(fac) + "\n\n\n" + "\n".join(sol) + "\n"


def jacobian_pattern(compiled) -> np.ndarray:
    """Boolean (n, n): entry (i, j) may be non-zero when a rate changing species i reads species j."""
    n = len(compiled.species_names)
    pattern = np.eye(n, dtype=bool)
    for proc, checked in compiled.checked_processes:
        rules = rule_closure(compiled, set(checked.names))
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


def sparse_lu_plan(pattern: np.ndarray):
    """Symbolic LU without pivoting of a matrix with this pattern (diagonal included).

    Returns the flat slot of each filled non-zero and the elimination as operation lists
    (``a[l] /= a[d]`` then the updates ``a[t] -= a[l] * a[u]``) plus the triangular solves' rows,
    which ``lu_source`` writes out as straight-line code.
    """
    n = pattern.shape[0]
    filled = pattern | np.eye(n, dtype=bool)
    for k in range(n):
        rows = np.flatnonzero(filled[k + 1:, k]) + k + 1
        cols = np.flatnonzero(filled[k, k + 1:]) + k + 1
        for i in rows:
            filled[i, cols] = True
    index = -np.ones((n, n), dtype=np.int64)
    ii, jj = np.nonzero(filled)
    index[ii, jj] = np.arange(len(ii))
    scale_l, scale_d, upd_ptr, upd_t, upd_l, upd_u = [], [], [0], [], [], []
    for k in range(n):
        rows = np.flatnonzero(filled[k + 1:, k]) + k + 1
        cols = np.flatnonzero(filled[k, k + 1:]) + k + 1
        for i in rows:
            scale_l.append(index[i, k])
            scale_d.append(index[k, k])
            for j in cols:
                upd_t.append(index[i, j])
                upd_l.append(index[i, k])
                upd_u.append(index[k, j])
            upd_ptr.append(len(upd_t))
    lower = [[(index[i, j], j) for j in range(i) if filled[i, j]] for i in range(n)]
    upper = [[(index[i, j], j) for j in range(i + 1, n) if filled[i, j]] for i in range(n)]
    as_arrays = lambda rows_: (np.cumsum([0] + [len(r) for r in rows_]).astype(np.int64),  # noqa: E731
                               np.array([q for r in rows_ for q, _ in r], np.int64),
                               np.array([c for r in rows_ for _, c in r], np.int64))
    l_ptr, l_idx, l_col = as_arrays(lower)
    u_ptr, u_idx, u_col = as_arrays(upper)
    return LUPlan(len(ii), index[np.arange(n), np.arange(n)].copy(),
                  np.array(scale_l, np.int64), np.array(scale_d, np.int64), np.array(upd_ptr, np.int64),
                  np.array(upd_t, np.int64), np.array(upd_l, np.int64), np.array(upd_u, np.int64),
                  l_ptr, l_idx, l_col, u_ptr, u_idx, u_col, index)


class LUPlan(NamedTuple):
    nnz: int
    diag: np.ndarray
    scale_l: np.ndarray
    scale_d: np.ndarray
    upd_ptr: np.ndarray
    upd_t: np.ndarray
    upd_l: np.ndarray
    upd_u: np.ndarray
    l_ptr: np.ndarray
    l_idx: np.ndarray
    l_col: np.ndarray
    u_ptr: np.ndarray
    u_idx: np.ndarray
    u_col: np.ndarray
    index: np.ndarray


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
