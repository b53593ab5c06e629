"""Figures of a study run: the run folder's overview (``figure.png``) and the drawing primitives the
report shares (arms grouped by genotype and treatment, dot plots with significance brackets,
Kaplan-Meier curves with numbers at risk)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PANELS = (  # readout, axis label with unit
    ("visible_nodules", "visible liver nodules (count)"),
    ("liver_weight", "liver weight (g)"),
    ("perforin_of_cd8", "perforin+ of CD8 (%)"),
    ("mhc2hi_of_dc", "MHC-II-high of CD11c+ (%)"),
    ("pdl1_mfi", "PD-L1 on cancer cells (x in vitro)"),
)
LOCAL_PANELS = (("tumour_volume", "tumour volume (mm3)"),) + PANELS[2:]
GENOTYPE_LABELS = {"wt": "WT", "il6-ko": "Il6-/-"}
GENOTYPE_COLOURS = {"wt": "#1b6ca8", "il6-ko": "#d95f02"}
AGENT_LABELS = {"anti-cd8": "anti-CD8", "anti-ifnar1": "anti-IFNAR1", "anti-il12": "anti-IL-12",
                "anti-pdl1": "anti-PD-L1", "anti-il6r": "anti-IL-6R", "anti-il6": "anti-IL-6",
                "isotype": "isotype", "poly-ic": "poly(I:C)"}
LINE_STYLES = ("-", "--", ":", "-.")
STARS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def arm_genotypes(result) -> dict[str, str]:
    """Genotype of each arm of a StudyResult."""
    return result.animals.drop_duplicates("arm").set_index("arm")["genotype"].to_dict()


def genotype_colour(genotype: str) -> str:
    return GENOTYPE_COLOURS.get(genotype, "#7f7f7f")


def genotype_label(genotype: str) -> str:
    return GENOTYPE_LABELS.get(genotype, genotype)


def stars(p: float) -> str:
    """Significance mark of a (adjusted) p-value: ***, **, * or ns."""
    return next((mark for bound, mark in STARS if np.isfinite(p) and p < bound), "ns")


def arm_treatments(result) -> dict[str, str]:
    """Each arm's treatment as a label ('anti-PD-L1', 'anti-IL-6R + anti-PD-L1', 'isotype',
    'untreated'), read from the study spec in the run's provenance; arm names where two arms of one
    genotype and part would share a label (e.g. doses of one agent)."""
    spec = result.provenance.get("spec") or {}
    arms = {a.get("name"): a for a in spec.get("arms", [])}
    labels = {arm: _treatment_label(arms.get(arm, {}).get("treatments", [])) for arm in result.arms}
    key = _group_keys(result)
    for arm in result.arms:
        if sum(labels[a] == labels[arm] and key[a] == key[arm] for a in result.arms) > 1:
            labels[arm] = arm
    return labels


def _treatment_label(treatments: list) -> str:
    agents = []
    for t in treatments:
        agent = (t.split(":", 1)[0] if isinstance(t, str) else str(t.get("agent", ""))).strip().lower()
        if agent not in agents:
            agents.append(agent)
    shown = [AGENT_LABELS.get(a, a) for a in agents if a != "isotype"]
    return " + ".join(shown) if shown else ("isotype" if agents else "untreated")


def _group_keys(result) -> dict[str, tuple[str, str]]:
    first = result.animals.drop_duplicates("arm").set_index("arm")
    return {arm: (str(first.at[arm, "part"]), str(first.at[arm, "genotype"])) if arm in first.index else ("", "")
            for arm in result.arms}


@dataclass(frozen=True)
class ArmLayout:
    """Where each arm sits on a categorical axis: grouped by (part, genotype), a gap between groups,
    labelled by treatment below and by group above."""

    arms: tuple[str, ...]
    x: dict[str, float]
    labels: dict[str, str]          # treatment label per arm
    colours: dict[str, str]
    groups: tuple[tuple[str, float, float], ...]  # label, first x, last x

    @property
    def width(self) -> float:
        return max(self.x.values(), default=0.0) + 1.0


def arm_layout(result, arms: list[str]) -> ArmLayout:
    """Group ``arms`` by part and genotype (in order of first appearance) for a dot plot."""
    keys, labels, genotypes = _group_keys(result), arm_treatments(result), arm_genotypes(result)
    order = list(dict.fromkeys(keys[a] for a in arms))
    main_part = order[0][0] if order else ""
    x, groups, pos = {}, [], 0.0
    for key in order:
        members = [a for a in arms if keys[a] == key]
        for a in members:
            x[a] = pos
            pos += 1.0
        label = genotype_label(key[1]) + ("" if key[0] == main_part else f", {key[0]}")
        groups.append((label, x[members[0]], x[members[-1]]))
        pos += 0.6
    ordered = tuple(a for key in order for a in arms if keys[a] == key)
    return ArmLayout(ordered, x, {a: labels[a] for a in ordered},
                     {a: genotype_colour(genotypes.get(a, "")) for a in ordered}, tuple(groups))


def draw_dots(ax, wide: pd.DataFrame, layout: ArmLayout, readout: str, ylabel: str, marks=()) -> None:
    """A dot per mouse, a bar at each arm's median, treatment labels below and genotype groups
    above; ``marks`` (arm, arm, p) are drawn as brackets with stars."""
    rng = np.random.default_rng(0)  # jitter only; not part of any result
    top = 0.0
    for arm in layout.arms:
        values = wide.loc[wide["arm"] == arm, readout].dropna().to_numpy(dtype=float)
        x = layout.x[arm]
        ax.scatter(x + rng.uniform(-0.2, 0.2, len(values)), values, s=11, color=layout.colours[arm], alpha=0.8,
                   lw=0, zorder=3)
        if len(values):
            ax.hlines(np.median(values), x - 0.32, x + 0.32, color="black", lw=1.4, zorder=4)
            top = max(top, float(np.max(values)))
    ax.set_xticks([layout.x[a] for a in layout.arms], [layout.labels[a] for a in layout.arms], rotation=50,
                  ha="right", rotation_mode="anchor", fontsize=7.5)
    ax.set_xlim(-0.7, layout.width - 0.3)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.25)
    ax.spines[["top", "right"]].set_visible(False)
    _group_labels(ax, layout)
    _brackets(ax, layout, marks, top)


def _group_labels(ax, layout: ArmLayout) -> None:
    for label, x0, x1 in layout.groups:
        ax.annotate("", (x0 - 0.3, 1.02), (x1 + 0.3, 1.02), xycoords=("data", "axes fraction"),
                    arrowprops=dict(arrowstyle="-", lw=0.8, color="#444"))
        ax.text((x0 + x1) / 2, 1.04, label, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=8.5, fontweight="bold")


def _brackets(ax, layout: ArmLayout, marks, top: float) -> None:
    """Stack significance brackets above the data, shortest span lowest."""
    marks = sorted(((layout.x[a], layout.x[b], p) for a, b, p in marks if a in layout.x and b in layout.x),
                   key=lambda m: abs(m[1] - m[0]))
    bottom = min(0.0, ax.get_ylim()[0]) if top > 0 else 0.0
    top = top if top > 0 else 1.0
    step = 0.075 * (top - bottom)
    levels: list[list[tuple[float, float]]] = []
    for xa, xb, p in marks:
        lo, hi = sorted((xa, xb))
        level = next((i for i, used in enumerate(levels) if all(hi < u0 or lo > u1 for u0, u1 in used)), len(levels))
        if level == len(levels):
            levels.append([])
        levels[level].append((lo - 0.1, hi + 0.1))
        y = top + step * (level + 0.6)
        ax.plot([lo, lo, hi, hi], [y - step * 0.25, y, y, y - step * 0.25], color="#333", lw=0.8, zorder=5)
        ax.text((lo + hi) / 2, y, stars(p), ha="center", va="bottom", fontsize=7.5, zorder=5)
    ax.set_ylim(bottom - 0.03 * (top - bottom), top + step * (len(levels) + 0.6))


def km_steps(days: np.ndarray, death: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, survival, censored times) of a Kaplan-Meier estimate; the curve ends at the arm's
    last observation (its last death, or the end of follow-up)."""
    order = np.argsort(days, kind="stable")
    days, death = days[order], death[order]
    times, surv, s = [0.0], [1.0], 1.0
    for t in np.unique(days[death]):
        at_risk = int(np.sum(days >= t))
        s *= 1.0 - np.sum((days == t) & death) / at_risk
        times.append(float(t))
        surv.append(s)
    end = float(days.max()) if len(days) else 0.0
    if times[-1] < end:
        times.append(end)
        surv.append(s)
    return np.array(times), np.array(surv), days[~death]


def draw_km(ax, groups: dict[str, tuple[np.ndarray, np.ndarray]], colours: dict[str, str], styles: dict[str, str],
            labels: dict[str, str], xlabel: str = "days after injection", ylabel: str = "alive (%)",
            scale: float = 1.0, risk_labels: dict[str, str] | None = None) -> None:
    """Kaplan-Meier curves (step, ending at each group's last observation, + for censored animals)
    and the numbers at risk under the axis; ``groups`` maps a name to (durations, events),
    ``scale`` divides the time axis (e.g. 365.25 for years), ``risk_labels`` names the rows of
    numbers at risk (default ``labels``; ``{}``: rows told apart by colour only)."""
    for name, (days, death) in groups.items():
        t, s, censored = km_steps(np.asarray(days, float), np.asarray(death, bool))
        ax.step(t / scale, 100 * s, where="post", color=colours[name], ls=styles.get(name, "-"), lw=1.8,
                label=f"{labels.get(name, name)} (n={len(days)})")
        if len(censored):
            at = np.searchsorted(t, censored, side="right") - 1
            ax.plot(censored / scale, 100 * s[at], "|", color=colours[name], ms=6, mew=1.2)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_ylim(-3, 103)
    ax.set_xlim(left=0)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.25)
    ax.spines[["top", "right"]].set_visible(False)
    at_risk_rows(ax, groups, colours, labels if risk_labels is None else risk_labels, scale)


def at_risk_rows(ax, groups, colours, labels, scale: float = 1.0) -> None:
    """'Number at risk' under ``ax``: one row per group at the x ticks, labelled on the left by
    ``labels`` (groups without a label: by colour only)."""
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo - 1e-9 <= t <= hi + 1e-9]
    ax.set_xticks(ticks)
    axis = ax.get_xaxis_transform()
    ax.annotate("number at risk", (0, 0), xycoords="axes fraction", xytext=(0, -36), textcoords="offset points",
                fontsize=7, ha="left", va="top", style="italic")
    for k, (name, (days, _)) in enumerate(groups.items()):
        days = np.asarray(days, float) / scale
        offset = (0, -46 - 9 * k)
        if name in labels:
            ax.annotate(labels[name], (0, 0), xycoords="axes fraction", xytext=(-14, offset[1]),
                        textcoords="offset points", fontsize=7, ha="right", va="top", color=colours[name])
        for t in ticks:
            ax.annotate(str(int(np.sum(days >= t - 1e-9))), (t, 0), xycoords=axis, xytext=offset,
                        textcoords="offset points", fontsize=7, ha="center", va="top", color=colours[name])


def survival_groups(result, arms: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(survival day, death) of each arm's successfully solved animals."""
    ok = result.animals[result.animals["status"] == "success"]
    out = {}
    for arm in arms:
        rows = ok[ok["arm"] == arm]
        if len(rows):
            out[arm] = (rows["survival_day"].to_numpy(float), rows["death"].to_numpy(bool))
    return out


def arm_styles(result, arms: list[str]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(colour by genotype, line style by treatment, 'genotype treatment' label) of each arm."""
    genotypes, treatments = arm_genotypes(result), arm_treatments(result)
    kinds = list(dict.fromkeys(treatments[a] for a in arms))
    colours = {a: genotype_colour(genotypes.get(a, "")) for a in arms}
    styles = {a: LINE_STYLES[kinds.index(treatments[a]) % len(LINE_STYLES)] for a in arms}
    labels = {a: f"{genotype_label(genotypes.get(a, ''))} {treatments[a]}" for a in arms}
    return colours, styles, labels


def survival_arms(result) -> list[str]:
    """The arms of the survival part, else the arms in which an animal reached the end point."""
    first = result.animals.drop_duplicates("arm").set_index("arm")
    part = [a for a in result.arms if a in first.index and first.at[a, "part"] == "survival"]
    dead = set(result.animals.loc[result.animals["death"].astype(bool), "arm"])
    return part or [a for a in result.arms if a in dead]


def plot_study(result, path: str | Path | None = None):
    """Overview of a study: five readouts per arm on the last readout day, and survival to the
    humane end point with numbers at risk. Saved as PNG if ``path`` is given."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    wide = result.wide()
    local = "tumour_volume" in wide
    last = wide[wide["day"] == wide["day"].max()] if len(wide) else wide
    panels = [(n, t) for n, t in (LOCAL_PANELS if local else PANELS) if n in wide and wide[n].notna().any()]
    read_arms = [a for a in result.arms if a in set(wide["arm"])] if len(wide) else []
    fig, axes = plt.subplots(2, 3, figsize=(16, 10.5))
    fig.subplots_adjust(left=0.06, right=0.985, top=0.87, bottom=0.2, wspace=0.3, hspace=0.62)
    layout = arm_layout(result, read_arms)
    for ax, (name, label) in zip(axes.flat, panels):
        if name == "tumour_volume":
            _growth(ax, wide, read_arms, result)
        else:
            draw_dots(ax, last, layout, name, label)
    for ax in list(axes.flat)[len(panels):-1]:
        ax.axis("off")
    _survival(axes.flat[-1], result)
    _legend(fig, result, read_arms, last)
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig


def _legend(fig, result, arms, last) -> None:
    from matplotlib.lines import Line2D

    prov = result.provenance
    genotypes = list(dict.fromkeys(arm_genotypes(result).get(a, "") for a in result.arms))
    handles = [Line2D([], [], marker="o", ls="", color=genotype_colour(g), label=genotype_label(g)) for g in genotypes]
    handles.append(Line2D([], [], color="black", lw=1.4, label="median of the arm"))
    day = f"readouts on day {last['day'].iloc[0]:g}; " if len(last) else ""
    fig.suptitle(f"{prov.get('study', '')}: {len(result.animals)} virtual mice, seed {prov.get('seed')}, model "
                 f"{prov.get('model_hash')}\n{day}one dot per mouse", fontsize=12)
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=9, frameon=False,
               bbox_to_anchor=(0.985, 0.995))


def _growth(ax, wide, arms, result) -> None:
    """Local tumour volume over the measurement days: thin line per mouse, thick arm mean."""
    colours, styles, labels = arm_styles(result, arms)
    for arm in arms:
        rows = wide[wide["arm"] == arm]
        for _, mouse in rows.groupby("animal"):
            ax.plot(mouse["day"], mouse["tumour_volume"], color=colours[arm], alpha=0.25, lw=0.8)
        mean = rows.groupby("day")["tumour_volume"].mean()
        ax.plot(mean.index, mean.to_numpy(), styles[arm], color=colours[arm], lw=2.2, label=labels[arm])
    ax.set_xlabel("days after injection", fontsize=9)
    ax.set_ylabel("tumour volume (mm3)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    ax.grid(alpha=0.25)


def _survival(ax, result) -> None:
    arms = survival_arms(result) or list(result.arms)
    groups = survival_groups(result, arms)
    colours, styles, labels = arm_styles(result, list(groups))
    draw_km(ax, groups, colours, styles, labels, ylabel="alive, before the humane end point (%)")
    ax.legend(fontsize=7, loc="lower left", frameon=False)
    ax.set_title("survival to the humane end point", fontsize=10)
