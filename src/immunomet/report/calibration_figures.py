"""Figures of calibration: a plausible population's parameter ranges and findings, prediction
bands over it, and fits to own data (the data, the fitted model, likelihood profiles)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
import pandas as pd  # noqa: E402

from ..calibration.population import FREE, PARTLY, PINNED, UNMIXED, UNSURE  # noqa: E402

_VERDICT_COLOURS = {PINNED: "#b2182b", PARTLY: "#ef8a62", FREE: "#67a9cf", UNSURE: "#bbbbbb", UNMIXED: "#888888"}


def population_figure(population, robustness: pd.DataFrame | None = None):
    """Left: each parameter's plausible 5-95% range (bar) and median (dot) within its prior (the
    axis runs from the prior's low to high end, log10), the default as a black tick. Right: each
    finding's pass rate over the prior draws and chain proposals and, if given, how often a
    published-size study reproduces it in plausible sets and with the defaults."""
    post = population.posterior().iloc[::-1]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, max(4.0, 0.26 * len(post) + 1.2)),
                                 gridspec_kw={"width_ratios": [1.3, 1]})
    lo, hi = np.log10(post["prior_low"]), np.log10(post["prior_high"])

    def where(v):
        return (np.log10(v) - lo) / (hi - lo)

    y = np.arange(len(post))
    colours = [_VERDICT_COLOURS[v] for v in post["verdict"]]
    ax.barh(y, where(post["p95"]) - where(post["p5"]), left=where(post["p5"]), color=colours, alpha=0.8, height=0.6)
    ax.plot(where(post["median"]), y, "o", color="k", ms=3)
    ax.plot(where(post["default"]), y, "|", color="k", ms=10, mew=2)
    ax.set_yticks(y, post["parameter"], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("position within the prior (log10; 0 = low end, 1 = high end)")
    ax.set_title("plausible 5-95% range, median (dot), default (|)", fontsize=10)
    ax.legend(handles=[Patch(color=c, label=v) for v, c in _VERDICT_COLOURS.items()], loc="upper center",
              bbox_to_anchor=(0.5, -0.12), ncol=5, fontsize=8, frameon=False)
    _pass_rates(bx, population, robustness)
    fig.suptitle(f"{len(population.samples())} plausible sets of {len(population.names)} parameters "
                 f"(required {', '.join(population.required)})", fontsize=11)
    fig.tight_layout()
    return fig


def _pass_rates(ax, population, robustness) -> None:
    from ..calibration.over_population import robustness_summary

    rates = population.finding_pass_rates().set_index("finding")
    columns = {c: c.replace(" %", "") for c in rates.columns if rates[c].notna().any()}
    if robustness is not None and len(robustness):
        rob = robustness_summary(robustness).set_index("finding")
        rates = rates.join(rob[[c for c in rob.columns if c.endswith(" %")]], how="outer")
        columns |= {"plausible sets %": "published-size study, plausible sets",
                    "default set %": "published-size study, default set"}
    rates = rates.reindex(sorted(rates.index, reverse=True))
    y = np.arange(len(rates))
    width = 0.8 / max(len(columns), 1)
    for k, (column, label) in enumerate(columns.items()):
        if column in rates:
            ax.barh(y + (k - (len(columns) - 1) / 2) * width, rates[column].fillna(0), height=width, label=label)
    ax.set_yticks(y, rates.index)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% passing")
    ax.set_title("findings", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)


def bands_figure(table: pd.DataFrame, readouts=None):
    """One panel per readout, one row per arm (and day) shared by all panels: the plausible sets'
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
    fig.suptitle("prediction bands over the plausible population: median (dot), 5-95% (bar), default (x)",
                 fontsize=10)
    fig.tight_layout()
    return fig
