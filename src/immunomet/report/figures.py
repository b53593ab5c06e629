"""Figures of a study run for the report; each takes result objects and returns a Figure."""
from __future__ import annotations

import numpy as np

from ..studies.plotting import arm_genotypes, genotype_colour

FLOW_PANELS = (("cd8_of_cd45", "CD8+ of CD45+ (%)"), ("perforin_of_cd8", "perforin+ of CD8 (%)"),
               ("gzmb_of_cd8", "granzyme B+ of CD8 (%)"), ("mhc2hi_of_dc", "MHC-II-high of CD11c+ (%)"),
               ("il12_of_dc", "IL-12+ of CD11c+ (%)"), ("ifn_of_dc", "IFN-a/b+ of CD11c+ (%)"),
               ("pdl1_mfi", "PD-L1 on cancer cells (rel. MFI)"), ("mhc1_mfi", "MHC-I on cancer cells (rel. MFI)"))
TIMECOURSE_PANELS = (("tumour_burden", "cancer cells in the liver", True), ("cd8_effector", "effector CD8 in foci", True),
                     ("dc_mature", "mature DCs in foci", True), ("il6", "serum IL-6 (pg/mL)", False),
                     ("ifn", "type I IFN in foci (pg/mL)", False), ("pdl1", "PD-L1 (relative)", False))
_STYLES = ["-", "--", ":", "-."]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def survival_figure(result, arms: list[str]):
    """Kaplan-Meier curves (lifelines) with 95% bands, one per survival arm."""
    from ..analysis.survival import kaplan_meier

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    genotypes = arm_genotypes(result)
    for k, (arm, fit) in enumerate(kaplan_meier(result.animals, arms).items()):
        fit.plot_survival_function(ax=ax, color=genotype_colour(genotypes.get(arm, "wt")), ls=_STYLES[k % 4],
                                   ci_alpha=0.12, lw=2)
    ax.set_xlabel("days after injection")
    ax.set_ylabel("share alive (before the humane end point)")
    ax.set_ylim(-0.02, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig


def dots_figure(result, readouts: list[tuple[str, str]], arms: list[str], day: float | None = None):
    """One panel per readout: a dot per mouse, a bar at the arm median."""
    plt = _plt()
    wide = result.wide(day)
    arms = [a for a in arms if a in set(wide["arm"])]
    readouts = [(n, t) for n, t in readouts if n in wide and wide[n].notna().any()]
    cols = min(4, max(1, len(readouts)))
    rows = int(np.ceil(len(readouts) / cols)) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 4.4 * rows), constrained_layout=True, squeeze=False)
    genotypes = arm_genotypes(result)
    rng = np.random.default_rng(0)  # jitter only
    for ax, (name, title) in zip(axes.flat, readouts):
        for i, arm in enumerate(arms):
            v = wide.loc[wide["arm"] == arm, name].dropna().to_numpy()
            ax.scatter(i + rng.uniform(-0.18, 0.18, len(v)), v, s=16, lw=0, alpha=0.8,
                       color=genotype_colour(genotypes.get(arm, "wt")))
            if len(v):
                ax.hlines(np.median(v), i - 0.3, i + 0.3, color="black", lw=1.5)
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(len(arms)))
        ax.set_xticklabels(arms, rotation=60, ha="right", fontsize=7.5)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(readouts):]:
        ax.axis("off")
    return fig


def timecourse_figure(result, arms: list[str]):
    """Median and 10-90% band over the cohort of each arm, for key model variables."""
    plt = _plt()
    tc = result.timecourses
    panels = [p for p in TIMECOURSE_PANELS if p[0] in tc.columns]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), constrained_layout=True, squeeze=False)
    genotypes = arm_genotypes(result)
    for ax, (var, title, log) in zip(axes.flat, panels):
        for k, arm in enumerate(arms):
            a = tc[tc["arm"] == arm]
            if a.empty:
                continue
            q = a.groupby("day")[var].quantile([0.1, 0.5, 0.9]).unstack()
            colour = genotype_colour(genotypes.get(arm, "wt"))
            ax.fill_between(q.index, q[0.1], q[0.9], color=colour, alpha=0.12, lw=0)
            ax.plot(q.index, q[0.5], _STYLES[k % 4], color=colour, lw=1.8, label=arm)
        if log:
            ax.set_yscale("symlog", linthresh=1.0)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if panels:
        axes.flat[0].legend(fontsize=7, loc="upper left")
    return fig


def mechanism_figure():
    """The mechanism as a diagram (BIOLOGY.md): arrows activate, bars inhibit."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 5.2), constrained_layout=True)
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 5.4)
    ax.axis("off")
    nodes = {"il6": (1.2, 4.3, "IL-6\n(host, tumour)"), "dci": (3.8, 4.3, "immature DC"),
             "dcm": (6.4, 4.3, "mature DC\nMHC-II hi"), "cyt": (9.3, 4.3, "IL-12\nIFN-a/b"),
             "cd8": (6.4, 2.2, "effector CD8\nperforin, GzmB"), "ct": (3.3, 1.0, "CT26 cells\nin the liver"),
             "pdl1": (9.3, 1.0, "PD-L1, MHC-I\non cancer cells"), "nod": (0.9, 1.0, "liver\nnodules")}
    for x, y, text in nodes.values():
        ax.text(x, y, text, ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.45", fc="#eef3f8", ec="#1b6ca8"))

    def arrow(a, b, inhibit=False, label="", rad=0.0):
        (xa, ya, _), (xb, yb, _) = nodes[a], nodes[b]
        style = "-[" if inhibit else "-|>"
        colour = "#c0392b" if inhibit else "#2c3e50"
        ax.annotate("", (xb, yb), (xa, ya), arrowprops=dict(arrowstyle=style, color=colour, lw=1.8, shrinkA=40,
                                                             shrinkB=40, connectionstyle=f"arc3,rad={rad}"))
        if label:
            vertical = abs(xa - xb) < 0.1
            ax.text((xa + xb) / 2 + (0.12 if vertical else 0), (ya + yb) / 2 + (0 if vertical else 0.25), label,
                    ha="left" if vertical else "center", fontsize=8.5, color=colour)

    arrow("il6", "dci", True, "STAT3 holds DCs immature")
    arrow("dci", "dcm", label="antigen, IFN")
    arrow("dcm", "cyt", label="less under IL-6")
    arrow("dcm", "cd8", label="priming (lymph node)")
    arrow("cyt", "cd8", label="signal 3", rad=0.2)
    arrow("cyt", "pdl1", label="IFN raises")
    arrow("cd8", "ct", True, "killing (x MHC-I)")
    arrow("pdl1", "cd8", True, "PD-1: exhaustion", rad=-0.2)
    arrow("ct", "nod", label="colonisation")
    arrow("ct", "il6", label="", rad=-0.3)
    ax.text(5.5, 0.05, "anti-IL-6(R) lifts the block on DCs; anti-PD-L1 lifts PD-1 suppression; anti-CD8, "
            "anti-IFNAR1 and anti-IL-12 cut the chain", ha="center", fontsize=9, style="italic")
    return fig
