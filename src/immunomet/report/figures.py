"""Figures of a study run for the report; each takes result objects and returns a Figure.

Arms are grouped by genotype (and part) and labelled by treatment; significance brackets come
from the findings' own tests (Holm-adjusted p), never from a second test run here."""
from __future__ import annotations

import numpy as np

from ..studies.plotting import (arm_layout, arm_styles, draw_dots, draw_km, genotype_colour, genotype_label,
                                stars, survival_groups)

FLOW_PANELS = (("cd8_of_cd45", "CD8+ of CD45+ (%)"), ("perforin_of_cd8", "perforin+ of CD8 (%)"),
               ("gzmb_of_cd8", "granzyme B+ of CD8 (%)"), ("mhc2hi_of_dc", "MHC-II-high of CD11c+ (%)"),
               ("il12_of_dc", "IL-12+ of CD11c+ (%)"), ("ifn_of_dc", "IFN-a/b+ of CD11c+ (%)"),
               ("pdl1_mfi", "PD-L1 on cancer cells (x in vitro)"), ("mhc1_mfi", "MHC-I on cancer cells (x in vitro)"))
COLONISATION_PANELS = (("visible_nodules", "visible liver nodules (count)"), ("liver_weight", "liver weight (g)"),
                       ("tumour_area", "tumour area of liver sections (%)"), ("tumour_volume", "tumour volume (mm3)"),
                       ("serum_il6", "serum IL-6 (pg/mL)"))
TIMECOURSE_PANELS = (("tumour_burden", "cancer cells in the liver (cells)", True),
                     ("cd8_effector", "effector CD8 in the foci (cells)", True),
                     ("dc_mature", "mature DCs in the foci (cells)", True), ("il6", "serum IL-6 (pg/mL)", False),
                     ("ifn", "type I IFN in the foci (pg/mL)", False),
                     ("pdl1", "PD-L1 on cancer cells (x baseline)", False))
SIGNIFICANCE_NOTE = "* p < 0.05, ** p < 0.01, *** p < 0.001, ns: not significant (the findings' tests, Holm-adjusted)"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _margins(fig, left=0.9, right=0.25, top=0.9, bottom=1.3, wspace=0.3, hspace=0.5) -> None:
    """Margins in inches (fast, unlike constrained layout)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h, wspace=wspace,
                        hspace=hspace)


def finding_marks(findings) -> dict[str, list[tuple[str, str, float]]]:
    """readout -> [(reference, arm, Holm-adjusted p)] of every tested criterion of ``findings``."""
    marks: dict[str, list] = {}
    for f in findings or []:
        if f.criteria.empty:
            continue
        for r in f.criteria.to_dict("records"):
            if r["direction"] != "similar" and np.isfinite(r.get("p_adjusted", np.nan)):
                marks.setdefault(r["readout"], []).append((r["reference"], r["arm"], float(r["p_adjusted"]),
                                                           f.id))
    return marks


def dots_figure(result, readouts: list[tuple[str, str]], arms: list[str], day: float | None = None,
                marks: dict | None = None):
    """One panel per readout: a dot per mouse, a bar at the arm median, arms grouped by genotype and
    labelled by treatment, brackets for the findings' tests."""
    plt = _plt()
    wide = result.wide(day)
    arms = [a for a in arms if a in set(wide["arm"])]
    readouts = [(n, t) for n, t in readouts if n in wide and wide[n].notna().any()]
    layout = arm_layout(result, arms)
    panel_w = 0.3 * layout.width + 1.1
    cols = max(1, min(4, len(readouts), int(15 // panel_w)))
    rows = max(1, -(-len(readouts) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * panel_w + 0.6, rows * 3.9 + 0.5), squeeze=False)
    _margins(fig, top=0.75, bottom=1.5, hspace=0.75)
    for ax, (name, label) in zip(axes.flat, readouts):
        shown = [(a, b, p) for a, b, p, _ in (marks or {}).get(name, [])]
        draw_dots(ax, wide, layout, name, label, shown)
    for ax in list(axes.flat)[len(readouts):]:
        ax.axis("off")
    _genotype_legend(fig, result, arms, bool(marks))
    return fig


def _genotype_legend(fig, result, arms, significance: bool) -> None:
    from matplotlib.lines import Line2D

    genotypes = result.animals.drop_duplicates("arm").set_index("arm")["genotype"]
    present = list(dict.fromkeys(genotypes.get(a, "") for a in arms))
    handles = [Line2D([], [], marker="o", ls="", color=genotype_colour(g), label=genotype_label(g)) for g in present]
    handles.append(Line2D([], [], color="black", lw=1.4, label="median"))
    if significance:
        handles.append(Line2D([], [], color="none", label=SIGNIFICANCE_NOTE))
    fig.legend(handles=handles, loc="upper left", ncol=len(handles), fontsize=8.5, frameon=False,
               bbox_to_anchor=(0.0, 1.0), handletextpad=0.4, columnspacing=1.4)


def survival_figure(result, arms: list[str], marks: dict | None = None):
    """Kaplan-Meier curves to the humane end point with numbers at risk; the findings' log-rank
    tests (Holm-adjusted p) beside them."""
    plt = _plt()
    groups = survival_groups(result, arms)
    tests = [(a, b, p, fid) for a, b, p, fid in (marks or {}).get("survival", []) if a in groups and b in groups]
    fig, ax = plt.subplots(figsize=(8.2, 4.3 + 0.13 * len(groups) + 0.15 * len(tests)))
    _margins(fig, left=1.6, right=0.3, top=0.3 + 0.15 * len(tests), bottom=0.8 + 0.13 * len(groups))
    colours, styles, labels = arm_styles(result, list(groups))
    draw_km(ax, groups, colours, styles, labels, ylabel="alive, before the humane end point (%)")
    ax.legend(fontsize=8, loc="lower left", frameon=False)
    text = "\n".join(f"{labels[b]} vs {labels[a]}: log-rank p = {p:.2g} {stars(p)} ({fid})" for a, b, p, fid in tests)
    if text:
        ax.set_title(text, loc="left", fontsize=8)
    return fig


def timecourse_figure(result, arms: list[str]):
    """Median and 10-90% band of the animals still alive, per arm; a curve ends (x) once half of its
    arm has reached the humane end point, since the survivors are no longer the arm."""
    plt = _plt()
    tc = result.timecourses
    panels = [p for p in TIMECOURSE_PANELS if p[0] in tc.columns]
    arms = [a for a in arms if (tc["arm"] == a).any()]
    colours, styles, labels = arm_styles(result, arms)
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.6), squeeze=False)
    _margins(fig, left=0.8, top=0.6, bottom=0.6, wspace=0.32, hspace=0.35)
    for ax, (var, ylabel, log) in zip(axes.flat, panels):
        for arm in arms:
            _median_band(ax, tc[tc["arm"] == arm], var, colours[arm], styles[arm], labels[arm])
        if log:
            ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_xlabel("days after injection", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    from matplotlib.lines import Line2D

    handles.append(Line2D([], [], marker="x", ls="", color="#333"))
    names.append("half of the arm past the humane end point")
    fig.legend(handles, names, loc="upper center", ncol=min(len(names), 5), fontsize=8.5, frameon=False,
               bbox_to_anchor=(0.5, 1.0))
    return fig


def _median_band(ax, rows, var, colour, style, label) -> None:
    wide = rows.pivot_table(index="day", columns="animal", values=var, dropna=False)
    alive = wide.notna().sum(axis=1)
    n = wide.shape[1]
    shown = wide[alive >= n / 2]
    if shown.empty:
        return
    q = np.nanquantile(shown.to_numpy(float), [0.1, 0.5, 0.9], axis=1)
    days = shown.index.to_numpy(float)
    ax.fill_between(days, q[0], q[2], color=colour, alpha=0.12, lw=0)
    ax.plot(days, q[1], style, color=colour, lw=1.7, label=label)
    if len(shown) < len(wide) and alive.iloc[-1] < n / 2:
        ax.plot(days[-1], q[1][-1], "x", color=colour, ms=6, mew=1.5)


def mechanism_figure():
    """The mechanism as a diagram (Toyoshima et al. 2019): arrows activate, bars inhibit."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 5.2))
    fig.subplots_adjust(0.01, 0.01, 0.99, 0.99)
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

    def arrow(a, b, inhibit=False, label="", rad=0.0, left=False):
        (xa, ya, _), (xb, yb, _) = nodes[a], nodes[b]
        style = "-[" if inhibit else "-|>"
        colour = "#c0392b" if inhibit else "#2c3e50"
        ax.annotate("", (xb, yb), (xa, ya), arrowprops=dict(arrowstyle=style, color=colour, lw=1.8, shrinkA=40,
                                                             shrinkB=40, connectionstyle=f"arc3,rad={rad}"))
        if label:
            vertical = abs(xa - xb) < 0.1
            dx = (-0.12 if left else 0.12) if vertical else 0.0
            ax.text((xa + xb) / 2 + dx, (ya + yb) / 2 + (0 if vertical else 0.25), label,
                    ha=("right" if left else "left") if vertical else "center", fontsize=8.5, color=colour)

    arrow("il6", "dci", True, "STAT3 holds DCs immature")
    arrow("dci", "dcm", label="antigen, IFN")
    arrow("dcm", "cyt", label="less under IL-6")
    arrow("dcm", "cd8", label="priming (lymph node)", left=True)
    arrow("cyt", "cd8", rad=0.2)
    ax.text(7.75, 3.6, "signal 3", fontsize=8.5, color="#2c3e50")
    arrow("cyt", "pdl1", label="IFN raises")
    arrow("cd8", "ct", True, "killing (x MHC-I)")
    arrow("pdl1", "cd8", True, "PD-1: exhaustion", rad=-0.2)
    arrow("ct", "nod", label="colonisation")
    arrow("ct", "il6", label="", rad=-0.3)
    ax.text(5.5, 0.05, "anti-IL-6(R) lifts the block on DCs; anti-PD-L1 lifts PD-1 suppression; anti-CD8, "
            "anti-IFNAR1 and anti-IL-12 cut the chain", ha="center", fontsize=9, style="italic")
    return fig
