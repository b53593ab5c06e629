"""Template of the numba kernels of the batched engine: a variable-order BDF per animal, sparse LU, dosing.

The BDF follows scipy's ``solve_ivp(method="BDF")`` (Shampine & Reichelt 1997, the NDF/BDF
quasi-constant step-size scheme with orders 1-5): the same step, order and Newton control, so the
batched engine takes the same steps as the single-animal path. Differences: the Jacobian is a
finite difference over coloured column groups and the linear algebra is a sparse LU without
pivoting planned from the model's Jacobian pattern (``batch_lu``).

``solve_chunk`` integrates animals ``lo..hi-1``, each on its own clock, without the GIL, so
``batch.py`` runs chunks side by side in Python threads. Status codes: 0 success, 1 step size
too small, 2 too many steps, 3 non-finite state (Newton failures shrink the step until 1).

This file is a template: ``batch.py`` appends ``batch_steps.py`` (the BDF arithmetic) and then
this text to the model's generated ``rhs``, ``selected``, ``derive``, ``lu_factor`` and
``lu_solve`` in one module file, so numba calls them directly
and caches the machine code per model structure on disk. Compile time: numba links and
re-optimises everything a function calls into that function's own module, so the functions
that reach the generated code are inlined into ``solve_chunk`` (``@inline``) rather than
compiled as layers of their own; only small leaves and the generated kernels stand alone.
"""

import numpy as np
from numba import njit

# >>> stubs: the generated module defines these above the template text
rhs = selected = derive = lu_factor = lu_solve = None
PARAMETER_ROW = 0
kernel = entry = njit(nogil=True, error_model="numpy")
inline = njit(nogil=True, error_model="numpy", inline="always")
from .batch_steps import (  # noqa: F401
    MAX_ORDER, NEWTON_MAXITER, MIN_FACTOR, MAX_FACTOR, EPS, _ALPHA, _ERROR_CONST, F, WORK_Y, WORK_F, STEP_H,
    YBUF, Y_PRED, INV_SCALE, PSI, DD, Y_NEW, DY, Y, _rms, _change_d, _rms_difference, _euler, _residual,
    _add_correction, _fill_nan, _finite, _perturb_group, _store_group, _interpolate, _predict, _inv_scale,
    _start_differences, _next_order, _error_norm, _accept, _copy, _apply_doses,
)
# <<< stubs


@inline
def _jacobian(t, y, p, f0, atol, rtol, jac, jplan, work_y, work_f, steps_h):
    """Finite-difference Jacobian into ``jac`` (by LU slot), one RHS call per column group."""
    for g in range(jplan[1].shape[0] - 1):
        _perturb_group(g, y, atol, rtol, jplan, work_y, steps_h)
        rhs(t, work_y, p, work_f)
        _store_group(g, jplan, work_f, f0, steps_h, jac)


@inline
def _initial_step(t0, y0, f0, p, t_bound, atol, rtol, work):
    inv_scale, work_y, work_f = work[INV_SCALE], work[WORK_Y], work[WORK_F]
    _inv_scale(atol, rtol, y0, inv_scale)
    d0 = _rms(y0, inv_scale, 1.0)
    d1 = _rms(f0, inv_scale, 1.0)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, t_bound - t0)
    _euler(y0, h0, f0, work_y)
    rhs(t0 + h0, work_y, p, work_f)
    d2 = _rms_difference(work_f, f0, inv_scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.5
    return min(100 * h0, h1, t_bound - t0)


@inline
def _emit(d, order, t_new, h, p, lo, hi_inclusive, hi, out_t, io, out_y, fine_t, jf, out_r, ybuf, rbuf):
    """Write dense output for output and fine times in (lo, hi) (or (lo, hi] if hi_inclusive)."""
    while io < out_t.shape[0] and (out_t[io] < hi or (hi_inclusive and out_t[io] <= hi)):
        if out_t[io] > lo:
            _interpolate(d, order, t_new, h, out_t[io], out_y[io])
        io += 1
    while jf < fine_t.shape[0] and (fine_t[jf] < hi or (hi_inclusive and fine_t[jf] <= hi)):
        if fine_t[jf] > lo:
            _interpolate(d, order, t_new, h, fine_t[jf], ybuf)
            selected(fine_t[jf], ybuf, p, rbuf)
            _copy(rbuf, out_r[jf])
        jf += 1
    return io, jf


@inline
def _newton(t_new, p, c, lu, newton_tol, work):
    """scipy's solve_bdf_system: returns (converged, iterations); y_new and dd in ``work``."""
    inv_scale, psi, dd = work[INV_SCALE], work[PSI], work[DD]
    y_new, dy, f = work[Y_NEW], work[DY], work[F]
    _copy(work[Y_PRED], y_new)
    dd[:] = 0.0
    dy_norm_old = -1.0
    for k in range(NEWTON_MAXITER):
        rhs(t_new, y_new, p, f)
        if not _residual(c, f, psi, dd, dy):
            return False, k + 1
        dy_norm = lu_solve(lu, dy, inv_scale)
        rate = -1.0 if dy_norm_old < 0 else dy_norm / dy_norm_old
        if rate >= 0 and (rate >= 1 or rate ** (NEWTON_MAXITER - k) / (1 - rate) * dy_norm > newton_tol):
            return False, k + 1
        _add_correction(dy, y_new, dd)
        if dy_norm == 0 or (rate >= 0 and rate / (1 - rate) * dy_norm < newton_tol):
            return True, k + 1
        dy_norm_old = dy_norm
    return False, NEWTON_MAXITER


@inline
def _bdf_segment(t, t_bound, p, atol, rtol, jplan, last, out_t, io, out_y, fine_t, jf, out_r,
                 steps, max_steps, ws):
    """Integrate one dose-free segment from ws's state row Y; returns (status, io, jf, steps).
    The state row ends at t_bound."""
    work, d, mats, jac, lu, rbuf = ws
    y, f, y_new, dd, inv_scale = work[Y], work[F], work[Y_NEW], work[DD], work[INV_SCALE]
    newton_tol = max(10 * EPS / rtol, min(0.03, rtol ** 0.5))
    rhs(t, y, p, f)
    if not _finite(f):
        return 3, io, jf, steps
    h_abs = _initial_step(t, y, f, p, t_bound, atol, rtol, work)
    _start_differences(d, y, f, h_abs)
    order = np.int64(1)  # not a literal 1: the leaves then compile once, for int64
    n_equal = 0
    _jacobian(t, y, p, f, atol, rtol, jac, jplan, work[WORK_Y], work[WORK_F], work[STEP_H])
    lu_ok = False
    while t < t_bound:
        steps += 1
        if steps > max_steps:
            return 2, io, jf, steps
        min_step = 10 * abs(np.nextafter(t, np.inf) - t)
        if h_abs < min_step:
            _change_d(d, order, min_step / h_abs, mats)
            h_abs = min_step
            n_equal = 0
        current_jac = False
        accepted = False
        n_iter = 0
        err_norm = 0.0
        finite = True
        t_new = t
        while not accepted:
            if h_abs < min_step:
                return 1, io, jf, steps
            t_new = t + h_abs
            if t_new > t_bound:
                t_new = t_bound
                _change_d(d, order, (t_new - t) / h_abs, mats)
                n_equal = 0
                lu_ok = False
            h = t_new - t
            h_abs = h
            _predict(d, order, atol, rtol, work[Y_PRED], inv_scale, work[PSI])
            c = h / _ALPHA[order]
            converged = False
            while not converged:
                if not lu_ok:
                    lu_factor(jac, c, lu)
                    lu_ok = True
                converged, n_iter = _newton(t_new, p, c, lu, newton_tol, work)
                if not converged:
                    if current_jac:
                        break
                    rhs(t_new, work[Y_PRED], p, f)
                    _jacobian(t_new, work[Y_PRED], p, f, atol, rtol, jac, jplan, work[WORK_Y], work[WORK_F],
                              work[STEP_H])
                    lu_ok = False
                    current_jac = True
            if not converged:
                h_abs *= 0.5
                _change_d(d, order, 0.5, mats)
                n_equal = 0
                lu_ok = False
                continue
            safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + n_iter)
            err_norm, finite = _error_norm(y_new, dd, _ERROR_CONST[order], atol, rtol, inv_scale)
            if err_norm > 1:
                factor = max(MIN_FACTOR, safety * err_norm ** (-1.0 / (order + 1)))
                h_abs *= factor
                _change_d(d, order, factor, mats)
                n_equal = 0
            else:
                accepted = True
        if not finite:
            return 3, io, jf, steps
        n_equal += 1
        t_old = t
        t = t_new
        _accept(d, order, dd, y_new, y)
        io, jf = _emit(d, order, t, h_abs, p, t_old, t < t_bound or last, t,
                       out_t, io, out_y, fine_t, jf, out_r, work[YBUF], rbuf)
        if n_equal < order + 1:
            continue
        delta, best = _next_order(d, order, err_norm, inv_scale)
        order += delta
        factor = min(MAX_FACTOR, safety * best)
        h_abs *= factor
        _change_d(d, order, factor, mats)
        n_equal = 0
        lu_ok = False
    return 0, io, jf, steps


@inline
def _emit_start(t, y, p, out_t, io, out_y, fine_t, jf, out_r, rbuf):
    """Output and fine times up to a segment's start ``t``: the state and rules at ``t`` itself."""
    while io < out_t.shape[0] and out_t[io] <= t:
        if out_t[io] == t:
            _copy(y, out_y[io])
        io += 1
    while jf < fine_t.shape[0] and fine_t[jf] <= t:
        if fine_t[jf] == t:
            selected(t, y, p, rbuf)
            _copy(rbuf, out_r[jf])
        jf += 1
    return io, jf


@entry
def solve_chunk(lo, hi, params, y0, stops, n_stops, dose_t, dose_s, dose_a, out_t, fine_t, atol, rtol,
                jplan, nnz, max_steps, out_y, out_r, status, steps):
    """Animals lo..hi-1, one after the other, each through its stops (start, dose days, end), with
    one set of work arrays. An animal's outputs are NaN until written (so after a failure), filled
    here rather than by the caller: the pages are touched once, by the thread that writes them.
    Nothing carries over between animals."""
    n = y0.shape[1]
    ws = (np.empty((12, n)), np.empty((MAX_ORDER + 3, n)), np.empty((2, MAX_ORDER + 1, MAX_ORDER + 1)),
          np.zeros(nnz), np.empty(nnz), np.empty(out_r.shape[2]))
    y, rbuf = ws[0][Y], ws[5]
    p = np.empty(PARAMETER_ROW)
    for a in range(lo, hi):
        _fill_nan(out_y[a])
        _fill_nan(out_r[a])
        derive(params[a], p)
        _copy(y0[a], y)
        io = 0
        jf = 0
        steps[a] = 0
        for s in range(n_stops[a] - 1):
            start, end = stops[a, s], stops[a, s + 1]
            _apply_doses(start, dose_t[a], dose_s[a], dose_a[a], y)
            io, jf = _emit_start(start, y, p, out_t, io, out_y[a], fine_t, jf, out_r[a], rbuf)
            status[a], io, jf, steps[a] = _bdf_segment(start, end, p, atol, rtol, jplan, s == n_stops[a] - 2,
                                                       out_t, io, out_y[a], fine_t, jf, out_r[a], steps[a],
                                                       max_steps, ws)
            if status[a] != 0:
                break
