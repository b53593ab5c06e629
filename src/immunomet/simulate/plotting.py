"""A figure of one animal's key trajectories (used by ``SimulationResult.plot``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

_PANELS = (
    ("Cancer cells in the liver", [("cancer_cells", "mean-field burden")], "log", "cells"),
    ("Dendritic cells", [("dc_immature", "immature (liver)"), ("dc_mature", "mature (liver)"),
                         ("dc_lymph_node", "mature (lymph node)")], "log", "cells"),
    ("CD8 T cells", [("cd8_primed", "primed (node)"), ("cd8_effector", "effector (foci)"),
                     ("cd8_exhausted", "exhausted"), ("cd8_memory", "effector-memory"),
                     ("cd8_bystander", "bystander")], "log", "cells"),
    ("Cytokines", [("il6", "IL-6 (serum)"), ("il12", "IL-12 (node)"), ("ifn", "IFN-a/b (foci)")], "log", "pg/mL"),
    ("Cancer-cell PD-L1 and MHC-I", [("pdl1", "PD-L1"), ("mhc1", "MHC-I"),
                                     ("pd1_suppression", "PD-1 suppression of CD8")], "linear", "relative"),
    ("Antibodies in plasma", None, "log", "ug/mL"),
)


def plot_result(result, path: str | Path | None = None):
    """Six panels of trajectories with dose days marked; returns the Figure."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), constrained_layout=True)
    days = result.days
    for ax, (title, series, scale, unit) in zip(axes.flat, _PANELS):
        for name, label in series if series is not None else _antibody_series(result):
            values = result.series(name).to_numpy(dtype=float)
            if scale == "log":
                values = np.where(values > 0, values, np.nan)
            ax.plot(days, values, label=label, lw=1.8)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("day after injection")
        ax.set_ylabel(unit)
        if scale == "log" and ax.lines and np.isfinite(np.concatenate([l.get_ydata() for l in ax.lines])).any():
            ax.set_yscale("log")
        _mark_doses(ax, result)
        if ax.lines:
            ax.legend(fontsize=8, loc="best")
        else:
            ax.text(0.5, 0.5, "no antibody given", ha="center", va="center", transform=ax.transAxes, color="grey")
    summary = result.summary()
    fig.suptitle(f"{result.provenance.get('protocol_text', '')}\nday {summary['day']:g}: "
                 f"{summary['visible_nodules']:.0f} visible nodules, effector CD8 {summary['cd8_effector']:.3g}, "
                 f"PD-L1 x{summary['pdl1']:.2f}, serum IL-6 {summary['il6']:.3g} pg/mL", fontsize=11)
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def _antibody_series(result) -> list[tuple[str, str]]:
    out = []
    for t in result.provenance.get("protocol", {}).get("treatments", []):
        key = result.provenance.get("agent_keys", {}).get(t["agent"])
        if key and (key, t["agent"]) not in out:
            out.append((key, t["agent"]))
    return out


def _mark_doses(ax, result) -> None:
    for t in result.provenance.get("protocol", {}).get("treatments", []):
        for day in t["days"]:
            ax.axvline(day, color="grey", lw=0.6, ls=":", alpha=0.8)
