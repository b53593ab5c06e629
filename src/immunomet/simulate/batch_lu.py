"""Sparse LU of the BDF iteration matrix ``I - c J``, planned from the Jacobian pattern.

No pivoting: the matrix has a dominant unit diagonal for this model, so any symmetric
permutation of the species keeps it safe. The species are eliminated in a fill-reducing order
(greedy Markowitz on the diagonal: the pivot whose row and column have the fewest other active
entries), which brings the 39-species model from 224 stored entries and 260 updates in the
natural order to 146 and 44. ``lu_source`` writes the factorisation and the solves as
straight-line numba code on local variables, with no index arrays and no divisions in the solve.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class LUPlan(NamedTuple):
    """``order[k]``: species eliminated k-th; ``slot[k, m]``: flat slot of entry (k, m) of the
    permuted matrix after fill-in (-1: structurally zero); ``index[i, j]`` and ``diag[i]``: the
    same slots by species; ``given[s]``: the slot holds a Jacobian entry (not only fill-in)."""

    nnz: int
    order: np.ndarray
    slot: np.ndarray
    index: np.ndarray
    diag: np.ndarray
    given: np.ndarray


def pivot_order(pattern: np.ndarray) -> np.ndarray:
    """Greedy Markowitz order over diagonal pivots: at each step the active species with the
    smallest (row count - 1) x (column count - 1), lowest index on ties; its fill is then added."""
    n = pattern.shape[0]
    filled = pattern | np.eye(n, dtype=bool)
    active = np.ones(n, dtype=bool)
    order = []
    for _ in range(n):
        candidates = np.flatnonzero(active)
        rows = (filled[:, candidates] & active[:, None]).sum(axis=0) - 1
        cols = (filled[candidates, :] & active[None, :]).sum(axis=1) - 1
        k = candidates[np.argmin(rows * cols)]
        below = np.flatnonzero(filled[:, k] & active)
        right = np.flatnonzero(filled[k, :] & active)
        filled[np.ix_(below, right)] = True
        active[k] = False
        order.append(k)
    return np.array(order, dtype=np.int64)


def symbolic_fill(permuted: np.ndarray) -> np.ndarray:
    """The pattern of L + U for a matrix already in elimination order (diagonal included)."""
    n = permuted.shape[0]
    filled = permuted | np.eye(n, dtype=bool)
    for k in range(n):
        rows = np.flatnonzero(filled[k + 1:, k]) + k + 1
        cols = np.flatnonzero(filled[k, k + 1:]) + k + 1
        filled[np.ix_(rows, cols)] = True
    return filled


def sparse_lu_plan(pattern: np.ndarray, order: np.ndarray | None = None) -> LUPlan:
    """Symbolic LU without pivoting in ``order`` (default: ``pivot_order(pattern)``)."""
    n = pattern.shape[0]
    order = pivot_order(pattern) if order is None else np.asarray(order, dtype=np.int64)
    permuted = pattern[np.ix_(order, order)]
    filled = symbolic_fill(permuted)
    slot = -np.ones((n, n), dtype=np.int64)
    kk, mm = np.nonzero(filled)
    slot[kk, mm] = np.arange(len(kk))
    position = np.argsort(order)
    index = slot[np.ix_(position, position)]
    given = np.zeros(len(kk), dtype=bool)
    given[slot[permuted | np.eye(n, dtype=bool)]] = True
    return LUPlan(len(kk), order, slot, index, index[np.arange(n), np.arange(n)].copy(), given)


def lu_operation_count(plan: LUPlan) -> tuple[int, int]:
    """(divisions, multiply-subtract updates) of one factorisation."""
    n = plan.slot.shape[0]
    updates = 0
    for k in range(n):
        below = np.count_nonzero(plan.slot[k + 1:, k] >= 0)
        right = np.count_nonzero(plan.slot[k, k + 1:] >= 0)
        updates += below * right
    return n, updates


def lu_source(plan: LUPlan) -> str:
    """Numba source of ``lu_factor(jac, c, a)``, which writes the LU of ``I - c J`` (``J``'s
    entries in ``jac``, by slot) into ``a`` with U's diagonal stored as reciprocals, and of
    ``lu_solve(a, b, inv_scale)``, which overwrites ``b`` with the solution of ``(I - c J) x = b``
    and returns its root mean square scaled by ``inv_scale`` (the Newton step's norm)."""
    return _factor_source(plan) + "\n\n" + _solve_source(plan)


def _factor_source(plan: LUPlan) -> str:
    """Fill ``a`` with I - cJ in loops; eliminate in straight-line code the pivots that have
    entries both below and to the right; invert the diagonal and scale the other columns of L
    (which no update reads) in loops. Compiles faster than all-straight-line code."""
    n = plan.slot.shape[0]
    lines, deferred = [], []
    for k in range(n):
        below = [plan.slot[i, k] for i in range(k + 1, n) if plan.slot[i, k] >= 0]
        right = [(j, plan.slot[k, j]) for j in range(k + 1, n) if plan.slot[k, j] >= 0]
        if not right:
            deferred += [(lk, plan.slot[k, k]) for lk in below]
            continue
        if below:
            lines.append(f"    r = 1.0 / a[{plan.slot[k, k]}]")
        for lk in below:
            i = _row_of(plan, lk)
            lines += [f"    lik = a[{lk}] * r", f"    a[{lk}] = lik"]
            lines += [f"    a[{plan.slot[i, j]}] -= lik * a[{uk}]" for j, uk in right]
    head = [_int_array("LU_DIAG", [plan.slot[k, k] for k in range(n)]),
            _int_array("LU_SCALE_L", [lk for lk, _ in deferred]), _int_array("LU_SCALE_D", [d for _, d in deferred]),
            "", "", "@kernel", "def lu_factor(jac, c, a):", "    for s in range(a.shape[0]):", "        a[s] = -c * jac[s]",
            "    for s in LU_DIAG:", "        a[s] += 1.0"]
    tail = ["    for s in LU_DIAG:", "        a[s] = 1.0 / a[s]", "    for q in range(LU_SCALE_L.shape[0]):",
            "        a[LU_SCALE_L[q]] *= a[LU_SCALE_D[q]]"]
    return "\n".join(head + lines + tail) + "\n"


def _int_array(name: str, values) -> str:
    return f"{name} = np.array([{', '.join(str(int(v)) for v in values)}], dtype=np.int64)"


def _row_of(plan: LUPlan, s: int) -> int:
    return int(np.argwhere(plan.slot == s)[0, 0])


def _solve_source(plan: LUPlan) -> str:
    n = plan.slot.shape[0]
    lines = ["@kernel", "def lu_solve(a, b, inv_scale):"]
    for k in range(n):
        terms = "".join(f" - a[{plan.slot[k, m]}] * z{m}" for m in range(k) if plan.slot[k, m] >= 0)
        lines.append(f"    z{k} = b[{plan.order[k]}]{terms}")
    for k in range(n - 1, -1, -1):
        terms = "".join(f" - a[{plan.slot[k, m]}] * z{m}" for m in range(k + 1, n) if plan.slot[k, m] >= 0)
        lines.append(f"    z{k} = ({'z' + str(k) + terms}) * a[{plan.slot[k, k]}]" if terms
                     else f"    z{k} = z{k} * a[{plan.slot[k, k]}]")
    lines += [f"    b[{plan.order[k]}] = z{k}" for k in range(n)]
    lines += ["    s0 = s1 = s2 = s3 = 0.0  # four partial sums, as the integrator's _rms", f"    for i in range(0, {n - n % 4}, 4):",
              "        v0 = b[i] * inv_scale[i]", "        v1 = b[i + 1] * inv_scale[i + 1]",
              "        v2 = b[i + 2] * inv_scale[i + 2]", "        v3 = b[i + 3] * inv_scale[i + 3]",
              "        s0 += v0 * v0", "        s1 += v1 * v1", "        s2 += v2 * v2", "        s3 += v3 * v3",
              f"    for i in range({n - n % 4}, {n}):", "        v0 = b[i] * inv_scale[i]", "        s0 += v0 * v0",
              f"    return math.sqrt(((s0 + s1) + (s2 + s3)) / {n})"]
    return "\n".join(lines) + "\n"
