"""Single-animal simulation with scipy (stiff-capable), doses applied as bolus events."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ..spec import Dose


@dataclass(frozen=True)
class SolverOptions:
    """How to integrate: scipy method, tolerances, output step and the colonisation grid step."""

    method: str = "LSODA"
    rtol: float = 1e-6
    atol: float = 1e-9
    atol_cells: float = 1e-4
    output_step: float = 0.25
    rate_step: float = 0.02

    def __post_init__(self) -> None:
        if self.method not in ("LSODA", "BDF", "Radau", "RK45", "DOP853"):
            raise ValueError(f"solver method {self.method!r} unknown; use LSODA, BDF or Radau")


@dataclass
class Trajectory:
    """States at output and rate-grid times, and how the solver ended."""

    out_times: np.ndarray
    out_states: np.ndarray  # (n_species, n_out)
    grid_times: np.ndarray
    grid_states: np.ndarray  # (n_species, n_grid)
    status: str
    message: str


def integrate(compiled, p: np.ndarray, doses: list[Dose], days: float, options: SolverOptions,
              cell_species: np.ndarray) -> Trajectory:
    """Integrate from day 0 (or the first dose, if earlier) to ``days``, stopping at each dose to add it to its species."""
    y = compiled.initial_state(p)
    atol = np.where(cell_species, options.atol_cells, options.atol)
    t0 = min([0.0, *(d.day for d in doses)])
    out_t = _grid(t0, days, options.output_step)
    grid_t = _grid(t0, days, options.rate_step)
    out_y = np.full((len(y), len(out_t)), np.nan)
    grid_y = np.full((len(y), len(grid_t)), np.nan)
    stops = sorted({t0, days, *(d.day for d in doses if d.day <= days)})
    status, message = "success", ""
    for start, end in zip(stops[:-1], stops[1:]):
        y = _apply_doses(compiled, y, doses, start)
        last = end == stops[-1]
        in_out = (out_t >= start) & ((out_t < end) | (last & (out_t <= end)))
        in_grid = (grid_t >= start) & ((grid_t < end) | (last & (grid_t <= end)))
        sol = solve_ivp(compiled.rhs, (start, end), y, method=options.method, args=(p,),
                        rtol=options.rtol, atol=atol, dense_output=True)
        if not sol.success:
            status, message = "failed", f"day {start:g}-{end:g}: {sol.message}"
            break
        out_y[:, in_out] = sol.sol(out_t[in_out])
        grid_y[:, in_grid] = sol.sol(grid_t[in_grid])
        y = sol.y[:, -1]
    return Trajectory(out_t, out_y, grid_t, grid_y, status, message)


def _grid(t0: float, days: float, step: float) -> np.ndarray:
    n = int(np.ceil((days - t0) / step - 1e-9))
    return np.minimum(t0 + np.arange(n + 1) * step, days)


def _apply_doses(compiled, y: np.ndarray, doses: list[Dose], day: float) -> np.ndarray:
    y = y.copy()
    for dose in doses:
        if dose.day == day:
            y[compiled.species_index[dose.species]] += dose.amount
    return y
