"""Template of the numba kernels of the batched engine: a variable-order BDF per animal, sparse LU, dosing.

The BDF follows scipy's ``solve_ivp(method="BDF")`` (Shampine & Reichelt 1997, the NDF/BDF
quasi-constant step-size scheme with orders 1-5): the same step, order and Newton control, so the
batched engine takes the same steps as the single-animal path. Differences: the Jacobian is a
finite difference over coloured column groups and the linear algebra is a sparse LU without
pivoting planned from the model's Jacobian pattern (``batch_lu``).

``solve_chunk`` integrates animals ``lo..hi-1``, each on its own clock, without the GIL, so
``batch.py`` runs chunks side by side in Python threads. Status codes: 0 success, 1 step size
too small, 2 too many steps, 3 non-finite state (Newton failures shrink the step until 1).

This file is a template: ``batch.py`` appends its text to the model's generated ``rhs``,
``selected``, ``derive``, ``lu_factor`` and ``lu_solve`` in one module file, so numba calls them directly
and caches the machine code per model structure on disk. Compile time: numba links and
re-optimises everything a function calls into that function's own module, so the functions
that reach the generated code are inlined into ``solve_chunk`` (``@inline``) rather than
compiled as layers of their own; only small leaves and the generated kernels stand alone.
"""

import math

import numpy as np
from numba import njit

# >>> stubs: the generated module defines these above the template text
rhs = selected = derive = lu_factor = lu_solve = None
PARAMETER_ROW = 0
kernel = entry = njit(nogil=True, error_model="numpy")
inline = njit(nogil=True, error_model="numpy", inline="always")
# <<< stubs

MAX_ORDER = 5
NEWTON_MAXITER = 4
MIN_FACTOR = 0.2
MAX_FACTOR = 10.0
EPS = float(np.finfo(np.float64).eps)
_KAPPA = np.array([0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0])
_GAMMA = np.concatenate(([0.0], np.cumsum(1.0 / np.arange(1, MAX_ORDER + 1))))
_ALPHA = (1.0 - _KAPPA) * _GAMMA
_ERROR_CONST = _KAPPA * _GAMMA + 1.0 / np.arange(1, MAX_ORDER + 2)
# rows of the per-chunk work array (each of length n_species)
F, WORK_Y, WORK_F, STEP_H, YBUF, Y_PRED, INV_SCALE, PSI, DD, Y_NEW, DY, Y = range(12)


@kernel
def _rms(x, inv_scale, factor):
    """Root mean square of ``factor * x / scale`` (``inv_scale``: 1 / scale)."""
    s = 0.0
    for i in range(x.shape[0]):
        v = factor * x[i] * inv_scale[i]
        s += v * v
    return math.sqrt(s / x.shape[0])


@kernel
def _compute_r(order, factor, r):
    """scipy's compute_R into r[:order+1, :order+1] (cumulative products down each column)."""
    for j in range(order + 1):
        acc = 1.0
        r[0, j] = 1.0
        for i in range(1, order + 1):
            acc *= (i - 1 - factor * j) / i if j > 0 else 0.0
            r[i, j] = acc
    r[0, 0] = 1.0


def _r_table(order: int, factor: float) -> np.ndarray:
    """scipy's compute_R (the BDF differences' step-change matrix), in numpy."""
    i, j = np.arange(1, order + 1)[:, None], np.arange(1, order + 1)[None, :]
    m = np.zeros((order + 1, order + 1))
    m[1:, 1:] = (i - 1 - factor * j) / i
    m[0] = 1
    return np.cumprod(m, axis=0)


_U = np.zeros((MAX_ORDER + 1, MAX_ORDER + 1, MAX_ORDER + 1))  # compute_R(order, 1) by order
for _order in range(1, MAX_ORDER + 1):
    _U[_order, : _order + 1, : _order + 1] = _r_table(_order, 1.0)


@kernel
def _change_d(d, order, factor, mats):
    """Rescale the differences to a new step size: D[:order+1] = (R U)^T D[:order+1].
    ``mats``: a (2, MAX_ORDER + 1, MAX_ORDER + 1) work array (R and RU).
    RU is padded to 6 x 6 with the identity, so the transform is one written-out pass over the
    species (vectorised across them) for every order, with the same sums (zeros added after)."""
    r, ru = mats[0], mats[1]
    _compute_r(order, factor, r)
    m = order + 1
    for i in range(MAX_ORDER + 1):
        for j in range(MAX_ORDER + 1):
            ru[i, j] = 1.0 if i == j and i >= m else 0.0
    for i in range(m):
        for j in range(m):
            acc = 0.0
            for k in range(m):
                acc += r[i, k] * _U[order, k, j]
            ru[i, j] = acc
    _transform_6(d, ru)


@kernel
def _transform_6(d, ru):
    """d[j] = sum_k ru[k, j] d[k] for the first six rows (MAX_ORDER = 5), column by column."""
    r00, r01, r02, r03, r04, r05 = ru[0, 0], ru[0, 1], ru[0, 2], ru[0, 3], ru[0, 4], ru[0, 5]
    r10, r11, r12, r13, r14, r15 = ru[1, 0], ru[1, 1], ru[1, 2], ru[1, 3], ru[1, 4], ru[1, 5]
    r20, r21, r22, r23, r24, r25 = ru[2, 0], ru[2, 1], ru[2, 2], ru[2, 3], ru[2, 4], ru[2, 5]
    r30, r31, r32, r33, r34, r35 = ru[3, 0], ru[3, 1], ru[3, 2], ru[3, 3], ru[3, 4], ru[3, 5]
    r40, r41, r42, r43, r44, r45 = ru[4, 0], ru[4, 1], ru[4, 2], ru[4, 3], ru[4, 4], ru[4, 5]
    r50, r51, r52, r53, r54, r55 = ru[5, 0], ru[5, 1], ru[5, 2], ru[5, 3], ru[5, 4], ru[5, 5]
    for col in range(d.shape[1]):
        v0, v1, v2, v3, v4, v5 = d[0, col], d[1, col], d[2, col], d[3, col], d[4, col], d[5, col]
        d[0, col] = r00 * v0 + r10 * v1 + r20 * v2 + r30 * v3 + r40 * v4 + r50 * v5
        d[1, col] = r01 * v0 + r11 * v1 + r21 * v2 + r31 * v3 + r41 * v4 + r51 * v5
        d[2, col] = r02 * v0 + r12 * v1 + r22 * v2 + r32 * v3 + r42 * v4 + r52 * v5
        d[3, col] = r03 * v0 + r13 * v1 + r23 * v2 + r33 * v3 + r43 * v4 + r53 * v5
        d[4, col] = r04 * v0 + r14 * v1 + r24 * v2 + r34 * v3 + r44 * v4 + r54 * v5
        d[5, col] = r05 * v0 + r15 * v1 + r25 * v2 + r35 * v3 + r45 * v4 + r55 * v5


@kernel
def _rms_difference(x, y, inv_scale):
    """Root mean square of ``(x - y) / scale``."""
    s = 0.0
    for i in range(x.shape[0]):
        v = (x[i] - y[i]) * inv_scale[i]
        s += v * v
    return math.sqrt(s / x.shape[0])


@kernel
def _euler(y, h, f, out):
    for i in range(y.shape[0]):
        out[i] = y[i] + h * f[i]


@kernel
def _residual(c, f, psi, dd, out):
    """The Newton right-hand side c f - psi - dd; returns whether ``f`` is finite."""
    finite = True
    for i in range(f.shape[0]):
        finite &= np.isfinite(f[i])
        out[i] = c * f[i] - psi[i] - dd[i]
    return finite


@kernel
def _add_correction(dy, y_new, dd):
    for i in range(dy.shape[0]):
        y_new[i] += dy[i]
        dd[i] += dy[i]


@kernel
def _finite(x):
    for i in range(x.shape[0]):
        if not np.isfinite(x[i]):
            return False
    return True


@inline
def _jacobian(t, y, p, f0, atol, rtol, jac, jplan, work_y, work_f, steps_h):
    """Finite-difference Jacobian into ``jac`` (by LU slot), one RHS call per column group."""
    for g in range(jplan[1].shape[0] - 1):
        _perturb_group(g, y, atol, rtol, jplan, work_y, steps_h)
        rhs(t, work_y, p, work_f)
        _store_group(g, jplan, work_f, f0, steps_h, jac)


@kernel
def _perturb_group(g, y, atol, rtol, jplan, work_y, steps_h):
    """``work_y``: ``y`` with the columns of group ``g`` stepped (steps in ``steps_h``)."""
    g_order, g_ptr = jplan[0], jplan[1]
    _copy(y, work_y)
    for q in range(g_ptr[g], g_ptr[g + 1]):
        j = g_order[q]
        h = 1.5e-8 * max(abs(y[j]), atol[j] / rtol)
        work_y[j] = y[j] + h
        steps_h[j] = work_y[j] - y[j]


@kernel
def _store_group(g, jplan, f, f0, steps_h, jac):
    g_order, g_ptr, c_ptr, c_row, c_slot = jplan
    for q in range(g_ptr[g], g_ptr[g + 1]):
        j = g_order[q]
        for r in range(c_ptr[j], c_ptr[j + 1]):
            jac[c_slot[r]] = (f[c_row[r]] - f0[c_row[r]]) / steps_h[j]


@kernel
def _interpolate(d, order, t_new, h, t, out):
    n = out.shape[0]
    for i in range(n):
        out[i] = d[0, i]
    prod = 1.0
    for k in range(order):
        prod *= (t - (t_new - h * k)) / (h * (1 + k))
        for i in range(n):
            out[i] += d[k + 1, i] * prod


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


@kernel
def _predict(d, order, atol, rtol, y_pred, inv_scale, psi):
    """Predicted state, reciprocal error scale and psi (scipy's) from the differences ``d``."""
    n = y_pred.shape[0]
    for i in range(n):
        y_pred[i] = d[0, i] + d[1, i]
        psi[i] = d[1, i] * _GAMMA[1]
    for k in range(2, order + 1):
        gamma = _GAMMA[k]
        for i in range(n):
            y_pred[i] += d[k, i]
            psi[i] += d[k, i] * gamma
    alpha = _ALPHA[order]
    for i in range(n):
        psi[i] /= alpha
        inv_scale[i] = 1.0 / (atol[i] + rtol * abs(y_pred[i]))


@kernel
def _inv_scale(atol, rtol, y, inv_scale):
    """Reciprocal error scale 1 / (atol + rtol |y|), so norms multiply instead of divide."""
    for i in range(y.shape[0]):
        inv_scale[i] = 1.0 / (atol[i] + rtol * abs(y[i]))


@kernel
def _start_differences(d, y, f, h):
    """First-order differences at a segment's start: D = [y, h f, 0, ...]."""
    d[:] = 0.0
    for i in range(y.shape[0]):
        d[0, i] = y[i]
        d[1, i] = f[i] * h

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


@kernel
def _next_order(d, order, err_norm, inv_scale):
    """scipy's order choice after order + 1 equal steps: (order change, step factor before safety)."""
    err_m = np.inf
    err_p = np.inf
    if order > 1:
        err_m = _rms(d[order], inv_scale, _ERROR_CONST[order - 1])
    if order < MAX_ORDER:
        err_p = _rms(d[order + 2], inv_scale, _ERROR_CONST[order + 1])
    f_m = err_m ** (-1.0 / order) if err_m > 0 else np.inf
    f_0 = err_norm ** (-1.0 / (order + 1)) if err_norm > 0 else np.inf
    f_p = err_p ** (-1.0 / (order + 2)) if err_p > 0 else np.inf
    best = f_m  # ties go to the lower order, as numpy's argmax in scipy
    delta = -1
    if f_0 > best:
        best = f_0
        delta = 0
    if f_p > best:
        best = f_p
        delta = 1
    return delta, best


@kernel
def _error_norm(y_new, dd, error_const, atol, rtol, inv_scale):
    """scipy's error norm of a converged step, with the reciprocal scales of ``y_new`` left in
    ``inv_scale``; returns (norm, whether y_new is finite)."""
    s = 0.0
    finite = True
    for i in range(y_new.shape[0]):
        finite &= np.isfinite(y_new[i])
        inv_scale[i] = 1.0 / (atol[i] + rtol * abs(y_new[i]))
        v = error_const * dd[i] * inv_scale[i]
        s += v * v
    return math.sqrt(s / y_new.shape[0]), finite


@kernel
def _accept(d, order, dd, y_new, y):
    """Update the differences with the accepted step's correction ``dd``; ``y`` = ``y_new``."""
    n = dd.shape[0]
    for i in range(n):
        y[i] = y_new[i]
        d[order + 2, i] = dd[i] - d[order + 1, i]
        d[order + 1, i] = dd[i]
    for k in range(order, -1, -1):
        for i in range(n):
            d[k, i] += d[k + 1, i]


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


@kernel
def _copy(src, dst):
    for i in range(src.shape[0]):
        dst[i] = src[i]


@kernel
def _apply_doses(t, dose_t, dose_s, dose_a, y):
    for k in range(dose_t.shape[0]):
        if dose_t[k] == t:
            y[dose_s[k]] += dose_a[k]


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
    one set of work arrays; outputs stay NaN after a failure. Nothing carries over between animals."""
    n = y0.shape[1]
    ws = (np.empty((12, n)), np.empty((MAX_ORDER + 3, n)), np.empty((2, MAX_ORDER + 1, MAX_ORDER + 1)),
          np.zeros(nnz), np.empty(nnz), np.empty(out_r.shape[2]))
    y, rbuf = ws[0][Y], ws[5]
    p = np.empty(PARAMETER_ROW)
    for a in range(lo, hi):
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
