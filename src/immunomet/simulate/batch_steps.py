"""Arithmetic of the batched engine's BDF (scipy's ``solve_ivp(method="BDF")``): constants, the
difference array's predictor, update and step-size change, error norms and small vector helpers.

A template like ``batch_kernels.py``: ``batch.py`` puts this text, then that one, after the
model's generated code in one module. None of these functions calls the generated code, so
each compiles once as a small leaf. Rows of the per-chunk work array are named below.
"""

import math

import numpy as np
from numba import njit

# >>> stubs: the generated module defines these above the template text
kernel = njit(nogil=True, error_model="numpy")
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
    """Root mean square of ``factor * x / scale`` (``inv_scale``: 1 / scale), summed in four
    interleaved partial sums: one chain of additions would make each wait for the last (about 5%
    of the engine's time, as every Newton iteration and step needs a norm)."""
    n = x.shape[0]
    m = n - n % 4
    s0 = s1 = s2 = s3 = 0.0
    for i in range(0, m, 4):
        v0 = factor * x[i] * inv_scale[i]
        v1 = factor * x[i + 1] * inv_scale[i + 1]
        v2 = factor * x[i + 2] * inv_scale[i + 2]
        v3 = factor * x[i + 3] * inv_scale[i + 3]
        s0 += v0 * v0
        s1 += v1 * v1
        s2 += v2 * v2
        s3 += v3 * v3
    for i in range(m, n):
        v0 = factor * x[i] * inv_scale[i]
        s0 += v0 * v0
    return math.sqrt(((s0 + s1) + (s2 + s3)) / n)


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
    finite = True
    for i in range(y_new.shape[0]):
        finite &= np.isfinite(y_new[i])
        inv_scale[i] = 1.0 / (atol[i] + rtol * abs(y_new[i]))
    return _rms(dd, inv_scale, error_const), finite


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


@kernel
def _fill_nan(x):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = np.nan


@kernel
def _copy(src, dst):
    for i in range(src.shape[0]):
        dst[i] = src[i]


@kernel
def _apply_doses(t, dose_t, dose_s, dose_a, y):
    for k in range(dose_t.shape[0]):
        if dose_t[k] == t:
            y[dose_s[k]] += dose_a[k]
