"""Figure of a schedule optimisation: search trace, gains with CIs, and the dosing timelines."""
from __future__ import annotations

import numpy as np

from ..spec.interventions import regular_days
from .figures import _plt

AGENT_COLOURS = {"anti-il6r": "#c0392b", "anti-pdl1": "#1b6ca8"}
GOAL_LABELS = {"dfs": "P(disease-free at 5 years)", "dfs_years": "expected disease-free years (of 5)",
               "survival": "survival day (humane end point)", "nodules": "expected visible nodules (day 21)"}


def schedule_figure(result):
    """Three panels: objective of every candidate and the best so far; each regimen's gain over no
    treatment on the validation cohort (95% CI); when each regimen doses which agent."""
    plt = _plt()
    problem, trace, comp = result.problem, result.trace, result.comparison
    fig = plt.figure(figsize=(15, 5.2 + 0.25 * len(comp)), constrained_layout=True)
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.4], height_ratios=[1, 1])
    ax = fig.add_subplot(grid[0, 0])
    ax.scatter(trace["evaluation"], trace["objective"], s=12, c=trace["round"], cmap="viridis", label="candidate")
    ax.plot(trace["evaluation"], trace["best"], color="k", lw=1.5, label="best so far")
    ax.set_xlabel("candidate (training cohort)")
    ax.set_ylabel(GOAL_LABELS[problem.goal])
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax = fig.add_subplot(grid[1, 0])
    y = np.arange(len(comp))[::-1]
    gains = comp["vs_untreated"].fillna(0.0).to_numpy()
    err = np.vstack([gains - comp["vs_untreated_low"].fillna(0.0), comp["vs_untreated_high"].fillna(0.0) - gains])
    colours = ["#27ae60" if r.startswith("optimised") else "#7f8c8d" for r in comp["regimen"]]
    ax.barh(y, gains, xerr=err, color=colours, capsize=3)
    ax.set_yticks(y, comp["regimen"], fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(f"difference from no treatment, new cohort of {int(comp['individuals'].iloc[0])} (95% CI)")
    ax.grid(alpha=0.3, axis="x")
    ax = fig.add_subplot(grid[:, 1])
    regimens = list(result.best) + list(problem.standards)
    for row, reg in zip(y, regimens):
        for k, d in enumerate(reg.dosings):
            days = np.array(regular_days(d.start, d.interval, d.doses))
            ax.scatter(days, np.full(days.shape, row + 0.15 * (k - 0.5)), marker="|", s=160,
                       color=AGENT_COLOURS.get(d.agent, "#555"), lw=2)
    ax.set_yticks(y, [r.name for r in regimens], fontsize=8)
    ax.set_xlabel("days after resection" if problem.target == "patients" else "days after injection")
    for agent, colour in AGENT_COLOURS.items():
        ax.scatter([], [], marker="|", s=160, color=colour, lw=2, label=agent)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("doses (one tick per administration)", fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    return fig
