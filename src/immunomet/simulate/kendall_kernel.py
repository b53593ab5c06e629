"""Kendall's closed form for many lineages at once, compiled with numba.

The integral W(t) = 1 + integral_0^t mu(s) exp(rho(s)) ds is accumulated by the trapezoidal rule,
as in ``colonization.kendall_logs_numpy``, but in linear space relative to the current rho
(J = I exp(-rho)), which needs three transcendental calls per time point instead of seven and no
temporary arrays; rows are spread over threads. A row whose J would overflow (extreme growth)
is redone in log space. Both forms are the same trapezoidal sums; they differ by rounding only
(tests/reference/test_colonisation_vs_gillespie.py compares them).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_LOGE2 = 0.693147180559945309417232121458176568
_TOO_BIG = 1e280


@njit(inline="always")
def _logaddexp(x, y):
    if x == y:
        return x + _LOGE2
    tmp = x - y
    if tmp > 0:
        return x + math.log1p(math.exp(-tmp))
    if tmp <= 0:
        return y + math.log1p(math.exp(tmp))
    return tmp


@njit
def _linear_row(times, birth, death, log_survival, log_mean_size):
    """One row in linear space; False if it would overflow (the caller then uses ``_log_row``)."""
    rho = 0.0
    scaled = 0.0  # I(t) exp(-rho(t))
    log_survival[0] = -0.0
    log_mean_size[0] = -0.0
    mu_prev = max(death[0], 0.0)
    net_prev = death[0] - birth[0]
    for k in range(1, times.shape[0]):
        half = 0.5 * (times[k] - times[k - 1])
        net = death[k] - birth[k]
        step = half * (net + net_prev)
        rho += step
        decay = math.exp(-step)
        mu = max(death[k], 0.0)
        scaled = (scaled + half * mu_prev) * decay + half * mu
        if not scaled < _TOO_BIG:
            return False
        log_w = math.log1p(scaled * math.exp(rho)) if rho < 0.0 else rho + math.log(math.exp(-rho) + scaled)
        log_survival[k] = -log_w
        log_mean_size[k] = -rho
        mu_prev, net_prev = mu, net
    return True


@njit
def _log_row(times, birth, death, log_survival, log_mean_size):
    """One row in log space (numpy's logaddexp formula): never overflows."""
    rho = 0.0
    acc = -np.inf
    log_f_prev = math.log(death[0]) if death[0] > 0 else -np.inf
    log_survival[0] = -_logaddexp(0.0, -np.inf)
    log_mean_size[0] = -0.0
    net_prev = death[0] - birth[0]
    for k in range(1, times.shape[0]):
        half = 0.5 * (times[k] - times[k - 1])
        net = death[k] - birth[k]
        rho = rho + half * (net + net_prev)
        net_prev = net
        log_f = (math.log(death[k]) if death[k] > 0 else -np.inf) + rho
        seg = _logaddexp(log_f, log_f_prev) + math.log(half)
        acc = seg if k == 1 else _logaddexp(acc, seg)
        log_f_prev = log_f
        log_survival[k] = -_logaddexp(0.0, acc)
        log_mean_size[k] = -rho


@njit
def _row(times, birth, death, log_survival, log_mean_size):
    if not _linear_row(times, birth, death, log_survival, log_mean_size):
        _log_row(times, birth, death, log_survival, log_mean_size)


@njit(parallel=True, cache=True, nogil=True)
def kendall_rows(times, birth, death, log_survival, log_mean_size):
    """Fill (rows x times) log P(alive) and log E[size] from per-cell birth and death rates,
    rows spread over the cores."""
    for a in prange(birth.shape[0]):
        _row(times, birth[a], death[a], log_survival[a], log_mean_size[a])


@njit(cache=True, nogil=True)
def kendall_rows_serial(times, birth, death, log_survival, log_mean_size):
    """``kendall_rows`` in the calling thread (for a pool thread whose share of the cores is one)."""
    for a in range(birth.shape[0]):
        _row(times, birth[a], death[a], log_survival[a], log_mean_size[a])
