"""Template of the numba kernels of the batched engine: a variable-order BDF per animal, sparse LU, dosing.

The BDF follows scipy's ``solve_ivp(method="BDF")`` (Shampine & Reichelt 1997, the NDF/BDF
quasi-constant step-size scheme with orders 1-5): the same step, order and Newton control, so the
batched engine takes the same steps as the single-animal path. Differences: the Jacobian is a
finite difference over coloured column groups and the linear algebra is a sparse LU without
pivoting planned from the model's Jacobian pattern (``batch_codegen.sparse_lu_plan``).

Each animal is integrated on its own clock (no waiting for slower animals); animals run in
parallel threads (``prange``). Status codes: 0 success, 1 step size too small, 2 too many steps,
3 non-finite state (Newton failures shrink the step until 1).

This file is a template: ``batch.py`` appends its text to the model's generated ``rhs``,
``selected``, ``lu_factor`` and ``lu_solve`` in one module file, so numba calls them directly
(inlined, no function pointers) and caches the machine code per model structure on disk.
"""

import numpy as np
from numba import njit, prange

# >>> stubs: the generated module defines these above the template text
rhs = selected = lu_factor = lu_solve = None
# <<< stubs

MAX_ORDER = 5
NEWTON_MAXITER = 4
MIN_FACTOR = 0.2
MAX_FACTOR = 10.0
_KAPPA = np.array([0.0, -0.1850, -1.0 / 9.0, -0.0823, -0.0415, 0.0])
_GAMMA = np.concatenate(([0.0], np.cumsum(1.0 / np.arange(1, MAX_ORDER + 1))))
_ALPHA = (1.0 - _KAPPA) * _GAMMA
_ERROR_CONST = _KAPPA * _GAMMA + 1.0 / np.arange(1, MAX_ORDER + 2)


@njit
def _rms(x, scale):
    s = 0.0
    for i in range(x.shape[0]):
        v = x[i] / scale[i]
        s += v * v
    return np.sqrt(s / x.shape[0])


@njit
def _compute_r(order, factor, r):
    """scipy's compute_R into r[:order+1, :order+1] (cumulative products down each column)."""
    for j in range(order + 1):
        acc = 1.0
        r[0, j] = 1.0
        for i in range(1, order + 1):
            acc *= (i - 1 - factor * j) / i if j > 0 else 0.0
            r[i, j] = acc
    r[0, 0] = 1.0


@njit
def _change_d(d, order, factor, scratch):
    """Rescale the differences to a new step size: D[:order+1] = (R U)^T D[:order+1].
    ``scratch`` is a (4, MAX_ORDER + 1, MAX_ORDER + 1) work array (no allocation per call)."""
    r, u, ru, tmp = scratch[0], scratch[1], scratch[2], scratch[3]
    _compute_r(order, factor, r)
    _compute_r(order, 1.0, u)
    m = order + 1
    for i in range(m):
        for j in range(m):
            acc = 0.0
            for k in range(m):
                acc += r[i, k] * u[k, j]
            ru[i, j] = acc
    for col in range(d.shape[1]):
        for j in range(m):
            acc = 0.0
            for k in range(m):
                acc += ru[k, j] * d[k, col]
            tmp[0, j] = acc
        for j in range(m):
            d[j, col] = tmp[0, j]


@njit
def _finite(x):
    for i in range(x.shape[0]):
        if not np.isfinite(x[i]):
            return False
    return True


@njit
def _jacobian(t, y, p, f0, atol, rtol, jac, jplan, work_y, work_f, steps_h):
    g_order, g_ptr, c_ptr, c_row, c_slot = jplan
    for k in range(jac.shape[0]):
        jac[k] = 0.0
    for g in range(g_ptr.shape[0] - 1):
        for i in range(y.shape[0]):
            work_y[i] = y[i]
        for q in range(g_ptr[g], g_ptr[g + 1]):
            j = g_order[q]
            h = 1.5e-8 * max(abs(y[j]), atol[j] / rtol)
            work_y[j] = y[j] + h
            steps_h[j] = work_y[j] - y[j]
        rhs(t, work_y, p, work_f)
        for q in range(g_ptr[g], g_ptr[g + 1]):
            j = g_order[q]
            for r in range(c_ptr[j], c_ptr[j + 1]):
                jac[c_slot[r]] = (work_f[c_row[r]] - f0[c_row[r]]) / steps_h[j]


@njit
def _iteration_matrix(jac, c, diag, a):
    for k in range(a.shape[0]):
        a[k] = -c * jac[k]
    for i in range(diag.shape[0]):
        a[diag[i]] += 1.0
    lu_factor(a)


@njit
def _interpolate(d, order, t_new, h, t, out):
    n = out.shape[0]
    for i in range(n):
        out[i] = d[0, i]
    prod = 1.0
    for k in range(order):
        prod *= (t - (t_new - h * k)) / (h * (1 + k))
        for i in range(n):
            out[i] += d[k + 1, i] * prod


@njit
def _initial_step(t0, y0, f0, p, t_bound, atol, rtol, work_y, work_f):
    n = y0.shape[0]
    scale = atol + np.abs(y0) * rtol
    d0 = _rms(y0, scale)
    d1 = _rms(f0, scale)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, t_bound - t0)
    for i in range(n):
        work_y[i] = y0[i] + h0 * f0[i]
    rhs(t0 + h0, work_y, p, work_f)
    for i in range(n):
        work_f[i] -= f0[i]
    d2 = _rms(work_f, scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.5
    return min(100 * h0, h1, t_bound - t0)


@njit
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
            for k in range(rbuf.shape[0]):
                out_r[jf, k] = rbuf[k]
        jf += 1
    return io, jf


@njit
def _bdf_segment(t, t_bound, y, p, atol, rtol, jplan, diag, nnz, last,
                 out_t, io, out_y, fine_t, jf, out_r, steps, max_steps):
    """Integrate one dose-free segment; returns (status, io, jf, steps). ``y`` ends at t_bound."""
    n = y.shape[0]
    eps = np.finfo(np.float64).eps
    newton_tol = max(10 * eps / rtol, min(0.03, rtol ** 0.5))
    f = np.empty(n)
    work_y, work_f, steps_h = np.empty(n), np.empty(n), np.empty(n)
    ybuf, rbuf = np.empty(n), np.empty(out_r.shape[1])
    jac, lu = np.empty(nnz), np.empty(nnz)
    d = np.zeros((MAX_ORDER + 3, n))
    scratch = np.empty((4, MAX_ORDER + 1, MAX_ORDER + 1))
    rhs(t, y, p, f)
    if not _finite(f):
        return 3, io, jf, steps
    h_abs = _initial_step(t, y, f, p, t_bound, atol, rtol, work_y, work_f)
    d[0] = y
    d[1] = f * h_abs
    order = 1
    n_equal = 0
    _jacobian(t, y, p, f, atol, rtol, jac, jplan, work_y, work_f, steps_h)
    lu_ok = False
    y_pred, scale, psi, dd, y_new, dy = (np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n))
    while t < t_bound:
        steps += 1
        if steps > max_steps:
            return 2, io, jf, steps
        min_step = 10 * abs(np.nextafter(t, np.inf) - t)
        if h_abs < min_step:
            _change_d(d, order, min_step / h_abs, scratch)
            h_abs = min_step
            n_equal = 0
        current_jac = False
        accepted = False
        n_iter = 0
        err_norm = 0.0
        t_new = t
        while not accepted:
            if h_abs < min_step:
                return 1, io, jf, steps
            t_new = t + h_abs
            if t_new > t_bound:
                t_new = t_bound
                _change_d(d, order, (t_new - t) / h_abs, scratch)
                n_equal = 0
                lu_ok = False
            h = t_new - t
            h_abs = h
            for i in range(n):
                acc = 0.0
                for k in range(order + 1):
                    acc += d[k, i]
                y_pred[i] = acc
                scale[i] = atol[i] + rtol * abs(acc)
                acc = 0.0
                for k in range(1, order + 1):
                    acc += d[k, i] * _GAMMA[k]
                psi[i] = acc / _ALPHA[order]
            c = h / _ALPHA[order]
            converged = False
            while not converged:
                if not lu_ok:
                    _iteration_matrix(jac, c, diag, lu)
                    lu_ok = True
                # Newton iterations (scipy's solve_bdf_system)
                for i in range(n):
                    y_new[i] = y_pred[i]
                    dd[i] = 0.0
                dy_norm_old = -1.0
                converged = False
                n_iter = 0
                for k in range(NEWTON_MAXITER):
                    n_iter = k + 1
                    rhs(t_new, y_new, p, f)
                    if not _finite(f):
                        break
                    for i in range(n):
                        dy[i] = c * f[i] - psi[i] - dd[i]
                    lu_solve(lu, dy)
                    dy_norm = _rms(dy, scale)
                    rate = -1.0 if dy_norm_old < 0 else dy_norm / dy_norm_old
                    if rate >= 0 and (rate >= 1 or rate ** (NEWTON_MAXITER - k) / (1 - rate) * dy_norm > newton_tol):
                        break
                    for i in range(n):
                        y_new[i] += dy[i]
                        dd[i] += dy[i]
                    if dy_norm == 0 or (rate >= 0 and rate / (1 - rate) * dy_norm < newton_tol):
                        converged = True
                        break
                    dy_norm_old = dy_norm
                if not converged:
                    if current_jac:
                        break
                    rhs(t_new, y_pred, p, f)
                    _jacobian(t_new, y_pred, p, f, atol, rtol, jac, jplan, work_y, work_f, steps_h)
                    lu_ok = False
                    current_jac = True
            if not converged:
                h_abs *= 0.5
                _change_d(d, order, 0.5, scratch)
                n_equal = 0
                lu_ok = False
                continue
            safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + n_iter)
            for i in range(n):
                scale[i] = atol[i] + rtol * abs(y_new[i])
                dy[i] = _ERROR_CONST[order] * dd[i]
            err_norm = _rms(dy, scale)
            if err_norm > 1:
                factor = max(MIN_FACTOR, safety * err_norm ** (-1.0 / (order + 1)))
                h_abs *= factor
                _change_d(d, order, factor, scratch)
                n_equal = 0
            else:
                accepted = True
        if not _finite(y_new):
            return 3, io, jf, steps
        n_equal += 1
        t_old = t
        t = t_new
        for i in range(n):
            y[i] = y_new[i]
            d[order + 2, i] = dd[i] - d[order + 1, i]
            d[order + 1, i] = dd[i]
        for k in range(order, -1, -1):
            for i in range(n):
                d[k, i] += d[k + 1, i]
        io, jf = _emit(d, order, t, h_abs, p, t_old, t < t_bound or last, t,
                       out_t, io, out_y, fine_t, jf, out_r, ybuf, rbuf)
        if n_equal < order + 1:
            continue
        err_m = np.inf
        err_p = np.inf
        if order > 1:
            for i in range(n):
                dy[i] = _ERROR_CONST[order - 1] * d[order, i]
            err_m = _rms(dy, scale)
        if order < MAX_ORDER:
            for i in range(n):
                dy[i] = _ERROR_CONST[order + 1] * d[order + 2, i]
            err_p = _rms(dy, scale)
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
        order += delta
        factor = min(MAX_FACTOR, safety * best)
        h_abs *= factor
        _change_d(d, order, factor, scratch)
        n_equal = 0
        lu_ok = False
    return 0, io, jf, steps


@njit
def _solve_animal(p, y0, dose_t, dose_s, dose_a, t0, t_end, out_t, fine_t, atol, rtol,
                  jplan, diag, nnz, max_steps, out_y, out_r):
    """One animal from t0 to t_end, stopping at each dose day; returns (status, steps)."""
    y = y0.copy()
    n_out, n_fine = out_t.shape[0], fine_t.shape[0]
    stops = np.unique(np.concatenate((np.array([t0, t_end]), dose_t[(dose_t > t0) & (dose_t < t_end)])))
    io = 0
    jf = 0
    steps = 0
    rbuf = np.empty(out_r.shape[1])
    for s in range(stops.shape[0] - 1):
        start, end = stops[s], stops[s + 1]
        for k in range(dose_t.shape[0]):
            if dose_t[k] == start:
                y[dose_s[k]] += dose_a[k]
        while io < n_out and out_t[io] <= start:
            if out_t[io] == start:
                out_y[io] = y
            io += 1
        while jf < n_fine and fine_t[jf] <= start:
            if fine_t[jf] == start:
                selected(start, y, p, rbuf)
                out_r[jf] = rbuf
            jf += 1
        status, io, jf, steps = _bdf_segment(start, end, y, p, atol, rtol, jplan, diag, nnz,
                                             s == stops.shape[0] - 2, out_t, io, out_y, fine_t, jf, out_r,
                                             steps, max_steps)
        if status != 0:
            return status, steps
    return 0, steps


@njit(parallel=True)
def solve_batch(params, y0, dose_t, dose_s, dose_a, t0, t_end, out_t, fine_t, atol, rtol,
                jplan, diag, nnz, max_steps, out_y, out_r, status, steps):
    """All animals, in parallel threads; outputs are NaN after a failure."""
    for a in prange(params.shape[0]):
        st, ns = _solve_animal(params[a], y0[a], dose_t[a], dose_s[a], dose_a[a], t0[a], t_end[a],
                               out_t, fine_t, atol, rtol, jplan, diag, nnz, max_steps, out_y[a], out_r[a])
        status[a] = st
        steps[a] = ns
