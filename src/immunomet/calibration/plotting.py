"""The figure of a fit to own data (``Fitter.plot``): data and fitted model; likelihood profiles."""
from __future__ import annotations

import numpy as np

from .fit import CHI2_95


def fit_figure(fitter):
    """Top: per observable, each animal's measurement (dots) and the fitted model (bar) per
    condition and day. Bottom: each estimate's likelihood profile, the 95% threshold dashed."""
    import matplotlib.pyplot as plt

    fitted = fitter.fitted()
    observables = list(dict.fromkeys(fitted["observableId"]))
    names = list(fitter.profiles)
    cols = max(len(observables), len(names), 1)
    fig, axes = plt.subplots(2 if names else 1, cols, figsize=(3.6 * cols, 6.6 if names else 3.4), squeeze=False)
    for ax, obs in zip(axes[0], observables):
        part = fitted[fitted["observableId"] == obs]
        groups = list(dict.fromkeys(zip(part["conditionId"], part["time"])))
        for k, (cond, day) in enumerate(groups):
            cell = part[(part["conditionId"] == cond) & (part["time"] == day)]
            jitter = np.random.default_rng(k).uniform(-0.15, 0.15, len(cell))
            ax.plot(k + jitter, cell["measurement"], "o", color="#4575b4", ms=3, alpha=0.7)
            ax.hlines(cell["prediction"].iloc[0], k - 0.3, k + 0.3, color="#d73027", lw=2)
        ax.set_xticks(range(len(groups)), [f"{c}\nd{d:g}" for c, d in groups], fontsize=7)
        ax.set_title(obs, fontsize=9)
        if (part["measurement"] > 0).all() and part["measurement"].max() > 30 * part["measurement"].min():
            ax.set_yscale("log")
    for ax in axes[0][len(observables):]:
        ax.axis("off")
    summary = fitter.summary.set_index("parameter")
    for ax, name in zip(axes[1] if names else [], names):
        prof = fitter.profiles[name]
        scale = summary.loc[name, "scale"]
        x = 10 ** prof["value"] if scale == "log10" else prof["value"]
        ax.plot(x, prof["delta"], "-o", ms=3, color="k")
        ax.axhline(CHI2_95, ls="--", color="#d73027", lw=1)
        ax.axvline(summary.loc[name, "estimate"], color="#4575b4", lw=1)
        ax.set_ylim(0, max(2 * CHI2_95, 1.0))
        ax.set_xlabel(name, fontsize=9)
        ax.set_ylabel("2 x delta(-log L)", fontsize=8)
    if names:
        for ax in axes[1][len(names):]:
            ax.axis("off")
    fig.suptitle(f"fit: {fitter.status}; data (dots), model (red bars); profiles with the 95% threshold",
                 fontsize=10)
    fig.tight_layout()
    return fig
