"""Single-animal simulation with scipy (stiff-capable), doses applied as bolus events."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ..spec import Dose
from .status import SolveStatus


@dataclass(frozen=True)
class SolverOptions:
    """How to integrate: scipy method, tolerances, output step and the colonisation grid step."""

    method: str = "BDF"  # fastest here: benchmarks/single_mouse.py
    rtol: float = 1e-6
    atol: float = 1e-9
    atol_cells: float = 1e-4
    output_step: float = 0.25
    rate_step: float = 0.02
    max_rhs_evaluations: int = 200_000

    def __post_init__(self) -> None:
        if self.method not in ("LSODA", "BDF", "Radau", "RK45", "DOP853"):
            raise ValueError(f"solver method {self.method!r} unknown; use LSODA, BDF or Radau")


class _Abort(Exception):
    """Raised inside the right-hand side to stop a solver that would hang or diverge."""

    def __init__(self, message: str, status: SolveStatus):
        super().__init__(message)
        self.status = status


class _GuardedRhs:
    """Counts evaluations and rejects non-finite states, so LSODA cannot hang on a blow-up."""

    def __init__(self, rhs, budget: int):
        self.rhs, self.budget, self.calls, self.last_finite_t = rhs, budget, 0, -np.inf

    def __call__(self, t, y, p):
        self.calls += 1
        if self.calls > self.budget:
            raise _Abort(f"more than {self.budget} right-hand-side evaluations", SolveStatus.TOO_MANY_STEPS)
        with np.errstate(over="ignore", invalid="ignore"):
            dy = self.rhs(t, y, p)
        if not (np.all(np.isfinite(y)) and np.all(np.isfinite(dy))):
            raise _Abort(f"state became non-finite at day {t:.4g}", SolveStatus.NON_FINITE)
        self.last_finite_t = max(self.last_finite_t, t)
        return dy


@dataclass
class Trajectory:
    """States at output and rate-grid times, and how the solver ended."""

    out_times: np.ndarray
    out_states: np.ndarray  # (n_species, n_out)
    grid_times: np.ndarray
    grid_states: np.ndarray  # (n_species, n_grid)
    status: SolveStatus
    message: str


def integrate(compiled, p: np.ndarray, doses: list[Dose], days: float, options: SolverOptions,
              cell_species: np.ndarray, out_t: np.ndarray | None = None, grid_t: np.ndarray | None = None) -> Trajectory:
    """Integrate from day 0 (or the first dose, if earlier) to ``days``, stopping at each dose to add
    it to its species. States are kept at ``out_t`` and ``grid_t`` (default: grids from that start at
    the output and rate steps); times before the start stay NaN."""
    y = compiled.initial_state(p)
    atol = np.where(cell_species, options.atol_cells, options.atol)
    t0 = min([0.0, *(d.day for d in doses)])
    out_t = _grid(t0, days, options.output_step) if out_t is None else out_t
    grid_t = _grid(t0, days, options.rate_step) if grid_t is None else grid_t
    out_y = np.full((len(y), len(out_t)), np.nan)
    grid_y = np.full((len(y), len(grid_t)), np.nan)
    stops = sorted({t0, days, *(d.day for d in doses if d.day <= days)})
    status, message = SolveStatus.SUCCESS, ""
    rhs = _GuardedRhs(compiled.rhs, options.max_rhs_evaluations)
    for start, end in zip(stops[:-1], stops[1:]):
        y = _apply_doses(compiled, y, doses, start)
        last = end == stops[-1]
        in_out = (out_t >= start) & ((out_t < end) | (last & (out_t <= end)))
        in_grid = (grid_t >= start) & ((grid_t < end) | (last & (grid_t <= end)))
        rhs.last_finite_t = start
        sol, (status, error) = _solve(rhs, start, end, y, p, options, atol)
        if error:
            message = f"day {start:g}-{end:g}: {error}"
            end = start + 0.99 * (rhs.last_finite_t - start)  # keep what was reached before failing
            rhs.calls = 0
            sol, (_, error) = _solve(rhs, start, end, y, p, options, atol) if end > start else (None, (status, ""))
            if sol is None or error:
                break
            in_out &= out_t <= end
            in_grid &= grid_t <= end
        for t, y_at, keep in ((out_t, out_y, in_out), (grid_t, grid_y, in_grid)):
            if keep.any():
                y_at[:, keep] = sol.sol(t[keep])
        if not status.ok:
            break
        y = sol.y[:, -1]
    return Trajectory(out_t, out_y, grid_t, grid_y, status, message)


def _solve(rhs, start, end, y, p, options, atol):
    """One segment; returns (solution, (SUCCESS, "")) or (None, (status, reason))."""
    try:
        sol = solve_ivp(rhs, (start, end), y, method=options.method, args=(p,),
                        rtol=options.rtol, atol=atol, dense_output=True)
    except _Abort as exc:
        return None, (exc.status, str(exc))
    if sol.success:
        return sol, (SolveStatus.SUCCESS, "")
    status = SolveStatus.STEP_SIZE_TOO_SMALL if "step size" in sol.message.lower() else SolveStatus.SOLVER_FAILED
    return None, (status, sol.message)


def _grid(t0: float, days: float, step: float) -> np.ndarray:
    n = int(np.ceil((days - t0) / step - 1e-9))
    return np.minimum(t0 + np.arange(n + 1) * step, days)


def _apply_doses(compiled, y: np.ndarray, doses: list[Dose], day: float) -> np.ndarray:
    y = y.copy()
    for dose in doses:
        if dose.day == day:
            y[compiled.species_index[dose.species]] += dose.amount
    return y
