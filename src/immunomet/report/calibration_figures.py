"""Figures of calibration: a posterior at a glance (intervals, walkers, targets), prediction bands
over posterior draws."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
import pandas as pd  # noqa: E402

from ..calibration.targets import SOFTNESS, Z95  # noqa: E402


def posterior_figure(result):
    """A calibration at a glance. Left: each estimated parameter's posterior 5-95% interval (bar) and
    median (dot) within its prior (0 = the prior's low end, 1 = its high end, on the sampling
    scale), the previous value as a black tick, coloured by whether its ESS and R-hat pass. Middle:
    the log-posterior of every walker over the iterations (burn-in shaded). Right: each target's
    position against its published range or bound, before (x) and after (dot) calibration."""
    summary = result.posterior.summary().iloc[::-1]
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(16, max(4.5, 0.28 * max(len(summary), 14) + 1.5)),
                                     gridspec_kw={"width_ratios": [1.2, 1, 1.3]})
    _intervals(ax, summary)
    _log_posterior(bx, result.posterior)
    _targets(cx, result.targets_table())
    post = result.posterior
    fig.suptitle(f"calibration: {len(summary)} estimated parameters, {post.chain.shape[1]} walkers x "
                 f"{len(post.kept())} steps after {post.burn_in} burn-in", fontsize=11)
    fig.tight_layout()
    return fig


def _position(summary: pd.DataFrame, column: str) -> np.ndarray:
    logged = summary["scale"] == "log10"
    value, low, high = summary[column].to_numpy(float), summary["prior_low"].to_numpy(float), \
        summary["prior_high"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pos = (np.log10(value) - np.log10(low)) / (np.log10(high) - np.log10(low))
    return np.where(logged, log_pos, (value - low) / (high - low))


def _intervals(ax, summary: pd.DataFrame) -> None:
    y = np.arange(len(summary))
    colours = np.where(summary["converged"], "#4575b4", "#d73027")
    q05, q95 = _position(summary, "q05"), _position(summary, "q95")
    ax.barh(y, q95 - q05, left=q05, color=colours, alpha=0.75, height=0.6)
    ax.plot(_position(summary, "median"), y, "o", color="k", ms=3)
    ax.plot(_position(summary, "previous"), y, "|", color="k", ms=10, mew=2)
    ax.set_yticks(y, summary["parameter"], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("position within the prior (0 = low end, 1 = high end)")
    ax.set_title("posterior 5-95% (bar), median (dot), previous value (|)", fontsize=9)
    ax.legend(handles=[Patch(color="#4575b4", label="ESS >= 200, R-hat <= 1.01"),
                       Patch(color="#d73027", label="not converged")], loc="upper center",
              bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)


def _log_posterior(ax, posterior) -> None:
    lp = posterior.log_prob
    finite = np.where(np.isfinite(lp), lp, np.nan)
    ax.plot(finite, color="#4575b4", alpha=0.15, lw=0.5)
    ax.axvspan(0, posterior.burn_in, color="#cccccc", alpha=0.5, label="burn-in")
    low = np.nanpercentile(finite[posterior.burn_in:], 1) if len(finite) > posterior.burn_in else np.nanmin(finite)
    ax.set_ylim(low - 0.5 * (np.nanmax(finite) - low + 1), np.nanmax(finite) + 1)
    ax.set_xlabel("iteration")
    ax.set_ylabel("log posterior (each walker)")
    ax.set_title("walkers' log posterior", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")


def _targets(ax, table: pd.DataFrame) -> None:
    """Each target as a score: the band [-1.96, 1.96] is inside (a magnitude's 95% range, or a
    constraint's allowed side); a magnitude's score is its z on the log scale; a constraint outside
    its bound lies beyond the band by its distance in probit widths (inside a one-sided bound, its
    margin, capped at the band's far edge)."""
    table = table.iloc[::-1]
    y = np.arange(len(table))
    before = [_score(r, "previous") for r in table.to_dict("records")]
    after = np.array([_score(r, "calibrated") for r in table.to_dict("records")])
    ax.axvspan(-Z95, Z95, color="#d9f0d3", alpha=0.7, label="inside (95% range / allowed side)")
    ax.plot(np.clip(before, -8, 8), y, "x", color="#888888", ms=5, label="previous values")
    inside = table["inside"].to_numpy()
    ax.plot(np.clip(after[inside], -8, 8), y[inside], "o", color="#1a9850", ms=4, label="calibrated")
    ax.plot(np.clip(after[~inside], -8, 8), y[~inside], "o", color="#d73027", ms=5, label="calibrated, outside")
    ax.set_yticks(y, table["target"], fontsize=8)
    ax.set_xlim(-8.5, 8.5)
    ax.set_xlabel("score against the target (clipped at +-8)")
    ax.set_title("targets: magnitudes and findings F1-F7 (typical animal)", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)


def _score(row: dict, column: str) -> float:
    with np.errstate(divide="ignore"):
        v, lo, hi = np.log(row[column]), np.log(row["low"]), np.log(row["high"])
    if not np.isfinite(v):
        return np.nan
    if row["kind"] == "magnitude":
        return float((v - 0.5 * (lo + hi)) / ((hi - lo) / (2 * Z95)))
    width = SOFTNESS
    if np.isfinite(lo) and v < lo:
        return float(-Z95 - (lo - v) / width)
    if np.isfinite(hi) and v > hi:
        return float(Z95 + (v - hi) / width)
    if np.isfinite(lo) and np.isfinite(hi):
        return float(-Z95 + 2 * Z95 * (v - lo) / (hi - lo))
    if np.isfinite(lo):
        return float(-Z95 + min((v - lo) / width, 2 * Z95))
    return float(Z95 - min((hi - v) / width, 2 * Z95))


def bands_figure(table: pd.DataFrame, readouts=None):
    """One panel per readout, one row per arm (and day) shared by all panels: the posterior draws'
    median (dot) and 5-95% band (bar), the default set as a cross."""
    readouts = [r for r in (readouts or table["readout"].unique()) if r in set(table["readout"])]
    keys = list(dict.fromkeys(zip(table["arm"], table["day"].fillna(-1.0))))
    row = {k: len(keys) - 1 - i for i, k in enumerate(keys)}
    labels = [a if d < 0 else f"{a} d{d:g}" for a, d in keys][::-1]
    cols = min(3, len(readouts))
    rows = -(-len(readouts) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols + 2.0, rows * (0.3 * len(keys) + 1.3) + 0.5),
                             squeeze=False, sharey=True)
    for ax, readout in zip(axes.flat, readouts):
        part = table[table["readout"] == readout]
        y = np.array([row[(a, d)] for a, d in zip(part["arm"], part["day"].fillna(-1.0))])
        ax.hlines(y, part["p5"], part["p95"], color="#4575b4", lw=3, alpha=0.7)
        ax.plot(part["median"], y, "o", color="#4575b4", ms=4)
        ax.plot(part["default"], y, "x", color="k", ms=5)
        ax.set_title(readout.replace("_", " "), fontsize=9)
        if readout in ("visible_nodules", "serum_il6") and (part[["p5", "default"]] > 0).all().all():
            ax.set_xscale("log")
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.flat[len(readouts):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_yticks(np.arange(len(keys)), labels, fontsize=7)
    fig.suptitle("prediction bands over posterior draws: median (dot), 5-95% (bar), default (x)",
                 fontsize=10)
    fig.tight_layout()
    return fig
