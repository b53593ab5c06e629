"""Figures of virtual patients: DFS by IL-6, trial arms by stratum, a forest plot, the IL-6 covariate."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.dfs import HIGH, LOW, YEAR, dfs_table
from ..analysis.survival import kaplan_meier
from .figures import _plt

STRATUM_COLOURS = {LOW: "#1b6ca8", HIGH: "#c0392b"}
ARM_COLOURS = ("#444444", "#1b6ca8", "#c0392b", "#8e44ad", "#27ae60", "#d68910", "#16a085", "#7f8c8d")


def _km_axes(ax, table: pd.DataFrame, groups: list[str], colours: dict[str, str]) -> None:
    for group, fit in kaplan_meier(table, groups).items():
        sf, ci = fit.survival_function_, fit.confidence_interval_
        t = sf.index.to_numpy() / YEAR
        ax.step(t, 100 * sf.iloc[:, 0], where="post", color=colours[group], lw=2,
                label=f"{group} (n={fit.event_observed.size}, relapses {int(fit.event_observed.sum())})")
        ax.fill_between(t, 100 * ci.iloc[:, 0], 100 * ci.iloc[:, 1], step="post", color=colours[group], alpha=0.12)
    ax.set_xlabel("years after resection")
    ax.set_ylabel("disease-free (%)")
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")


def dfs_by_il6_figure(patients: pd.DataFrame, hr: dict | None = None):
    """KM DFS of IL-6-low and IL-6-high patients with 95% bands."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.6), constrained_layout=True)
    _km_axes(ax, dfs_table(patients[patients["status"] == "success"]), [LOW, HIGH], STRATUM_COLOURS)
    if hr:
        ax.set_title(f"IL-6 high vs low: HR {hr['hr']:.2f} ({hr['hr_low']:.2f}-{hr['hr_high']:.2f}), "
                     f"log-rank p = {hr['logrank_p']:.2g}", fontsize=10)
    return fig


def trial_km_figure(patients: pd.DataFrame, arms: list[str]):
    """One panel per subgroup (all, IL-6 low, IL-6 high): KM DFS of every arm."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), constrained_layout=True, sharey=True)
    colours = {a: ARM_COLOURS[i % len(ARM_COLOURS)] for i, a in enumerate(arms)}
    ok = patients[patients["status"] == "success"]
    for ax, (title, sub) in zip(axes, [("all patients", ok), (LOW, ok[ok["il6_stratum"] == LOW]),
                                       (HIGH, ok[ok["il6_stratum"] == HIGH])]):
        _km_axes(ax, dfs_table(sub, group="arm"), arms, colours)
        ax.set_title(title)
        ax.legend(fontsize=7, loc="lower left")
    return fig


def forest_figure(comparisons: pd.DataFrame):
    """Hazard ratio of relapse (95% CI) of each arm vs control, overall and by IL-6 stratum."""
    plt = _plt()
    rows = comparisons.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.2), constrained_layout=True)
    y = np.arange(len(rows))[::-1]
    markers = {"all patients": "D", LOW: "o", HIGH: "s"}
    for yi, r in zip(y, rows.to_dict("records")):
        colour = STRATUM_COLOURS.get(r["subgroup"], "#222222")
        ax.plot([r["hr_low"], r["hr_high"]], [yi, yi], color=colour, lw=1.5)
        ax.plot(r["hr"], yi, markers.get(r["subgroup"], "o"), color=colour)
    ax.axvline(1.0, color="#888", ls="--", lw=1)
    ax.set_yticks(y, [f"{r['arm']} - {r['subgroup']}" for r in rows.to_dict("records")], fontsize=8)
    ax.set_xscale("log")
    ticks = [t for t in (0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 4) if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("hazard ratio of relapse vs control (95% CI; < 1 favours the arm)")
    ax.grid(alpha=0.3, axis="x")
    return fig


def il6_covariate_figure(patients: pd.DataFrame, cutoff: float):
    """The tumour IL-6 covariate: distribution (log scale) with the cut-off, relapsed patients marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 3.6), constrained_layout=True)
    ok = patients[patients["status"] == "success"]
    values = np.log10(ok["tumour_il6_measured"].to_numpy(float))
    bins = np.linspace(values.min(), values.max(), 31)
    relapsed = ok["relapse"].to_numpy(bool)
    ax.hist([values[~relapsed], values[relapsed]], bins=bins, stacked=True, color=["#9fb8cc", "#c0392b"],
            label=["disease-free", "relapsed"])
    ax.axvline(np.log10(cutoff), color="k", ls="--", lw=1.2, label=f"cut-off (top {100 * np.mean(values > np.log10(cutoff)):.0f}% high)")
    ax.set_xlabel("tumour IL-6 secretion, log10 pg/cell/day")
    ax.set_ylabel("patients")
    ax.legend(fontsize=8)
    return fig
