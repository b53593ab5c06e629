"""Overview figure of a study: readouts per arm as dots, survival curves per arm."""
from __future__ import annotations

from pathlib import Path

import numpy as np

PANELS = (  # readout, title
    ("visible_nodules", "visible liver nodules"),
    ("liver_weight", "liver weight (g)"),
    ("perforin_of_cd8", "perforin+ of CD8 (%)"),
    ("mhc2hi_of_dc", "MHC-II-high of CD11c+ (%)"),
    ("pdl1_mfi", "PD-L1 on cancer cells (rel. MFI)"),
)
LOCAL_PANELS = (("tumour_volume", "tumour volume (mm3)"),) + PANELS[2:]


def arm_genotypes(result) -> dict[str, str]:
    """Genotype of each arm of a StudyResult."""
    return result.animals.drop_duplicates("arm").set_index("arm")["genotype"].to_dict()


def genotype_colour(genotype: str) -> str:
    return "#d95f02" if genotype != "wt" else "#1b6ca8"


def plot_study(result, path: str | Path | None = None):
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    wide = result.wide()
    local = "tumour_volume" in wide
    last = wide[wide["day"] == wide["day"].max()] if len(wide) else wide
    panels = [(n, t) for n, t in (LOCAL_PANELS if local else PANELS) if n in wide and wide[n].notna().any()]
    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5), constrained_layout=True)
    genotypes = arm_genotypes(result)
    read_arms = [a for a in result.arms if a in set(wide["arm"])] if len(wide) else []
    for ax, (name, title) in zip(axes.flat, panels):
        if name == "tumour_volume":
            _growth(ax, wide, read_arms, genotypes)
            continue
        _dots(ax, last, read_arms, name, genotypes)
        ax.set_title(f"{title} (day {last['day'].iloc[0]:g})", fontsize=11)
    for ax in list(axes.flat)[len(panels):-1]:
        ax.axis("off")
    _survival(axes.flat[-1], result, genotypes)
    prov = result.provenance
    fig.suptitle(f"{prov.get('study', '')}: {len(result.animals)} virtual mice, seed {prov.get('seed')}, "
                 f"model {prov.get('model_hash')}", fontsize=12)
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def _dots(ax, wide, arms, name, genotypes) -> None:
    rng = np.random.default_rng(0)  # jitter only; not part of any result
    for i, arm in enumerate(arms):
        values = wide.loc[wide["arm"] == arm, name].dropna().to_numpy()
        x = i + rng.uniform(-0.18, 0.18, len(values))
        ax.scatter(x, values, s=14, color=genotype_colour(genotypes.get(arm, "wt")), alpha=0.75, lw=0)
        if len(values):
            ax.hlines(np.median(values), i - 0.3, i + 0.3, color="black", lw=1.5)
    ax.set_xticks(range(len(arms)))
    ax.set_xticklabels(arms, rotation=60, ha="right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def _growth(ax, wide, arms, genotypes) -> None:
    """Local tumour volume over the measurement days: thin line per mouse, thick arm mean."""
    styles = ["-", "--", ":", "-."]
    for k, arm in enumerate(arms):
        rows = wide[wide["arm"] == arm]
        colour = genotype_colour(genotypes.get(arm, "wt"))
        for _, mouse in rows.groupby("animal"):
            ax.plot(mouse["day"], mouse["tumour_volume"], color=colour, alpha=0.25, lw=0.8)
        mean = rows.groupby("day")["tumour_volume"].mean()
        ax.plot(mean.index, mean.to_numpy(), styles[k % 4], color=colour, lw=2.2, label=arm)
    ax.set_xlabel("days after injection")
    ax.set_title("tumour volume (mm3)", fontsize=11)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)


def _survival(ax, result, genotypes) -> None:
    animals = result.animals[result.animals["status"] == "success"]
    survival_arms = [a for a in result.arms if (animals.loc[animals["arm"] == a, "part"] == "survival").any()]
    arms = survival_arms or result.arms
    styles = ["-", "--", ":", "-."]
    for k, arm in enumerate(arms):
        rows = animals[animals["arm"] == arm]
        if rows.empty:
            continue
        t = np.sort(rows.loc[rows["death"].astype(bool), "survival_day"].to_numpy(float))
        end = float(rows["survival_day"].max())
        steps_t = np.concatenate([[0.0], np.repeat(t, 2), [end]])
        alive = 1.0 - np.arange(len(t) + 1) / len(rows)
        steps_s = np.concatenate([np.repeat(alive[:-1], 2), [alive[-1], alive[-1]]])
        ax.plot(steps_t, 100 * steps_s, styles[k % 4], color=genotype_colour(genotypes.get(arm, "wt")),
                lw=1.8, label=f"{arm} (n={len(rows)})")
    ax.set_xlabel("days after injection")
    ax.set_ylabel("alive (%)")
    ax.set_ylim(-3, 103)
    ax.set_title("survival to the humane end point", fontsize=11)
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)
