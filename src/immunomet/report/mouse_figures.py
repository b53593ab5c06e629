"""One virtual mouse: its key trajectories with the humane end point marked, and the sentence that
says whether (and when) the mouse reached it."""
from __future__ import annotations

import numpy as np

from ..readouts import HumaneEndpoint, time_to_endpoint
from .figures import _margins, _plt

MOUSE_PANELS = (
    ("cancer cells in the liver (cells)", (("cancer_cells", "mean-field burden"),), True),
    ("immune cells in the foci (cells)", (("cd8_effector", "effector CD8"), ("dc_mature", "mature DCs")), True),
    ("cytokines (pg/mL)", (("il6", "IL-6, serum"), ("il12", "IL-12, lymph node"), ("ifn", "IFN-a/b, foci")), True),
    ("on cancer cells (x baseline)", (("pdl1", "PD-L1"), ("mhc1", "MHC-I")), False),
)


def endpoint_text(result, endpoint: HumaneEndpoint = HumaneEndpoint()) -> str:
    """'reached the humane end point (...) on day D: ...' or 'did not reach ...' for one mouse."""
    day, reached = time_to_endpoint(result, endpoint)
    rule = f"{endpoint.observable.replace('_', ' ')} > {endpoint.above:.3g}"
    if not reached:
        return f"did not reach the humane end point ({rule}) by day {result.days[-1]:g}"
    return (f"PAST THE HUMANE END POINT: {rule} on day {day:.1f}; a real mouse would have been euthanised then, "
            f"so the values after day {day:.1f} describe no living mouse")


def mouse_figure(result, endpoint: HumaneEndpoint = HumaneEndpoint()):
    """Four panels of one mouse's trajectories; the end point threshold and the time past it shaded."""
    plt = _plt()
    day, reached = time_to_endpoint(result, endpoint)
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.9))
    _margins(fig, left=0.7, right=0.2, top=0.75, bottom=0.6, wspace=0.35)
    days = result.days
    for ax, (ylabel, series, log) in zip(axes, MOUSE_PANELS):
        for name, label in series:
            values = result.series(name).to_numpy(dtype=float)
            ax.plot(days, np.where(values > 0, values, np.nan) if log else values, lw=1.7, label=label)
        if log:
            ax.set_yscale("log")
        if reached:
            ax.axvspan(day, days[-1], color="#c0392b", alpha=0.08, lw=0)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_xlabel("days after injection", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(fontsize=7.5, frameon=False, loc="best")
    if endpoint.observable == "tumour_burden":
        axes[0].axhline(endpoint.above, color="#c0392b", ls="--", lw=1)
    title = result.provenance.get("protocol_text", "")
    fig.suptitle(f"{title}\n{endpoint_text(result, endpoint)}" if reached else title, fontsize=10,
                 color="#c0392b" if reached else "black")
    return fig
