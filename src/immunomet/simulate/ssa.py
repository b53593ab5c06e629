"""Exact stochastic simulation (Gillespie) of a linear birth-death lineage with time-varying rates.

The reference for ``colonization.py``. Rates are piecewise constant on a grid, for which the
direct method is exact: within a grid cell the total rate is constant, and a waiting time that
crosses the cell boundary is redrawn from the boundary (memorylessness).
"""
from __future__ import annotations

import numpy as np


def simulate_lineages(grid, birth, death, t_end: float, n_lineages: int, rng: np.random.Generator,
                      max_cells: int = 10**6) -> np.ndarray:
    """Final sizes of ``n_lineages`` lineages, each from one cell at ``grid[0]``.

    ``birth[i]`` and ``death[i]`` are the per-cell rates on [grid[i], grid[i+1]).
    A lineage that exceeds ``max_cells`` raises, so a test cannot silently truncate.
    """
    grid = np.asarray(grid, dtype=float)
    birth, death = np.asarray(birth, dtype=float), np.asarray(death, dtype=float)
    sizes = np.empty(n_lineages, dtype=np.int64)
    for k in range(n_lineages):
        sizes[k] = _one_lineage(grid, birth, death, t_end, rng, max_cells)
    return sizes


def _one_lineage(grid, birth, death, t_end, rng, max_cells) -> int:
    n, t, i = 1, float(grid[0]), 0
    while n > 0 and t < t_end:
        while i + 1 < len(grid) and grid[i + 1] <= t:
            i += 1
        edge = min(grid[i + 1] if i + 1 < len(grid) else np.inf, t_end)
        b, d = birth[i], death[i]
        total = n * (b + d)
        wait = rng.exponential(1.0 / total) if total > 0 else np.inf
        if t + wait >= edge:
            t = edge
            continue
        t += wait
        n += 1 if rng.random() * (b + d) < b else -1
        if n > max_cells:
            raise RuntimeError(f"lineage exceeded {max_cells} cells; shorten t_end or lower the birth rate")
    return n


def first_passage_times(grid, birth, death, t_end: float, threshold: int, n_lineages: int,
                        rng: np.random.Generator) -> np.ndarray:
    """Day each of ``n_lineages`` lineages (one cell at ``grid[0]``) first reaches ``threshold``
    cells, or inf if it dies out or stays below it until ``t_end``: the reference for relapse."""
    grid = np.asarray(grid, dtype=float)
    birth, death = np.asarray(birth, dtype=float), np.asarray(death, dtype=float)
    out = np.full(n_lineages, np.inf)
    for k in range(n_lineages):
        n, t, i = 1, float(grid[0]), 0
        while 0 < n < threshold and t < t_end:
            while i + 1 < len(grid) and grid[i + 1] <= t:
                i += 1
            edge = min(grid[i + 1] if i + 1 < len(grid) else np.inf, t_end)
            b, d = birth[i], death[i]
            wait = rng.exponential(1.0 / (n * (b + d))) if b + d > 0 else np.inf
            if t + wait >= edge:
                t = edge
                continue
            t += wait
            n += 1 if rng.random() * (b + d) < b else -1
        if n >= threshold:
            out[k] = t
    return out
