"""Figure of a global sensitivity analysis: one panel per readout, top parameters with 95% CIs."""
from __future__ import annotations

import numpy as np

from .figures import _plt


def sensitivity_figure(result, top: int = 15):
    """Horizontal bars of the total-order index ST (Sobol, with S1 beside it) or mu* (Morris)."""
    plt = _plt()
    readouts = list(result.tables)
    fig, axes = plt.subplots(1, len(readouts), figsize=(4.6 * len(readouts), 0.3 * top + 1.6),
                             constrained_layout=True, squeeze=False)
    for ax, readout in zip(axes[0], readouts):
        t = result.tables[readout].head(top)
        y = np.arange(len(t))[::-1]
        if result.method == "sobol":
            ax.barh(y + 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], color="#1b6ca8", label="total (ST)", capsize=2)
            ax.barh(y - 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], color="#9fb8cc", label="first order (S1)",
                    capsize=2)
            ax.set_xlabel("Sobol index (95% CI)")
            ax.legend(fontsize=7, loc="lower right")
        else:
            ax.barh(y, t["mu_star"], xerr=t["mu_star_conf"], color="#1b6ca8", capsize=2)
            ax.scatter(t["sigma"], y, color="#c0392b", s=14, zorder=3, label="sigma (interactions)")
            ax.set_xlabel("Morris mu* (95% CI), readout units")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_yticks(y, t["parameter"], fontsize=8)
        ax.set_title(readout, fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    return fig
