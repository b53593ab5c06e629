"""Figures of virtual patients: DFS by IL-6, trial arms by stratum, a forest plot, the IL-6 covariate."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.dfs import HIGH, LOW, YEAR, dfs_table
from ..studies.plotting import draw_km
from .figures import _margins, _plt

STRATUM_COLOURS = {LOW: "#1b6ca8", HIGH: "#c0392b"}
ARM_COLOURS = ("#444444", "#1b6ca8", "#c0392b", "#8e44ad", "#27ae60", "#d68910", "#16a085", "#7f8c8d")


def _km_axes(ax, table: pd.DataFrame, groups: list[str], colours: dict[str, str], row_labels: bool = True) -> None:
    """KM DFS per group, in years, with the numbers at risk under the axis (rows named by group,
    or by colour only)."""
    data = {}
    for group in groups:
        rows = table[(table["arm"] == group) & (table["status"] == "success")]
        if len(rows):
            data[group] = (rows["survival_day"].to_numpy(float), rows["death"].to_numpy(bool))
    labels = {g: f"{g}, relapses {int(d.sum())}" for g, (_, d) in data.items()}
    draw_km(ax, data, colours, {}, labels, xlabel="years after resection", ylabel="disease-free (%)", scale=YEAR,
            risk_labels={g: g for g in data} if row_labels else {})
    ax.legend(fontsize=8, loc="lower left", frameon=False)


def dfs_by_il6_figure(patients: pd.DataFrame, hr: dict | None = None, serum: dict | None = None):
    """KM DFS of IL-6-low and IL-6-high patients by tumour IL-6, numbers at risk under the axis;
    with ``serum`` (``analysis.dfs.dfs_by_serum_il6``) a second panel splits the same patients by
    their postoperative serum IL-6 sample."""
    plt = _plt()
    panels = [("by tumour IL-6 (F8)", dfs_table(patients[patients["status"] == "success"]), hr)]
    if serum is not None:
        panels.append(("by a postoperative serum IL-6 sample (as Feng 2023)", serum["table"], serum["hr"]))
    fig, axes = plt.subplots(1, len(panels), figsize=(7.8 * len(panels), 5.0), sharey=True, squeeze=False)
    _margins(fig, left=1.0, right=0.3, top=0.65, bottom=1.2, wspace=0.15)
    for k, (ax, (title, table, ratio)) in enumerate(zip(axes[0], panels)):
        _km_axes(ax, table, [LOW, HIGH], STRATUM_COLOURS, row_labels=k == 0)
        line = f"IL-6 high vs low {title}"
        if ratio:
            line += (f"\nHR {ratio['hr']:.2f} ({ratio['hr_low']:.2f}-{ratio['hr_high']:.2f}), "
                     f"log-rank p = {ratio['logrank_p']:.2g}")
        ax.set_title(line, fontsize=10)
    return fig


def trial_km_figure(patients: pd.DataFrame, arms: list[str]):
    """One panel per subgroup (all, IL-6 low, IL-6 high): KM DFS of every arm, numbers at risk under each."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.6 + 0.13 * len(arms)), sharey=True)
    _margins(fig, left=1.6, right=0.2, top=0.4, bottom=0.9 + 0.13 * len(arms), wspace=0.2)
    colours = {a: ARM_COLOURS[i % len(ARM_COLOURS)] for i, a in enumerate(arms)}
    ok = patients[patients["status"] == "success"]
    for k, (ax, (title, sub)) in enumerate(zip(axes, [("all patients", ok), (LOW, ok[ok["il6_stratum"] == LOW]),
                                                      (HIGH, ok[ok["il6_stratum"] == HIGH])])):
        _km_axes(ax, dfs_table(sub, group="arm"), arms, colours, row_labels=k == 0)
        ax.set_title(title)
        ax.legend(fontsize=7, loc="lower left", frameon=False)
    return fig


def forest_figure(comparisons: pd.DataFrame):
    """Hazard ratio of relapse (95% CI) of each arm vs control, overall and by IL-6 stratum."""
    plt = _plt()
    rows = comparisons.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.2))
    _margins(fig, left=2.6, right=0.3, top=0.2, bottom=0.6)
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
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    _margins(fig, left=0.8, right=0.2, top=0.2, bottom=0.6)
    ok = patients[patients["status"] == "success"]
    values = np.log10(ok["tumour_il6_measured"].to_numpy(float))
    bins = np.linspace(values.min(), values.max(), 31)
    relapsed = ok["relapse"].to_numpy(bool)
    ax.hist([values[~relapsed], values[relapsed]], bins=bins, stacked=True, color=["#9fb8cc", "#c0392b"],
            label=["disease-free", "relapsed"])
    ax.axvline(np.log10(cutoff), color="k", ls="--", lw=1.2, label=f"cut-off ({100 * np.mean(values > np.log10(cutoff)):.0f}% of these patients above)")
    ax.set_xlabel("tumour IL-6 secretion, log10 pg/cell/day")
    ax.set_ylabel("patients")
    ax.legend(fontsize=8)
    return fig
