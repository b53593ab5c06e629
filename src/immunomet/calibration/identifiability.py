"""Which parameters can the calibration targets inform? Estimability ranking by orthogonalised
sensitivities (Yao et al. 2003, Polym React Eng 11:563; Chu & Hahn 2007, AIChE J 53:2858).

The sensitivity of each target to each candidate parameter is a central difference over 10% of the
parameter's prior width (on the sampling scale), scaled so that one unit is the target's own
uncertainty (its log-normal sigma, or a constraint's probit width) per whole prior width. The
parameter with the largest sensitivity is taken first; every other column is then projected onto
the complement of what the chosen ones already explain, and the largest remainder is taken next.
Ranking stops when the largest remainder is below ``cutoff``: moving that parameter across its
whole prior changes the targets, beyond what the chosen parameters can mimic, by less than one
target uncertainty. Those parameters are not identifiable from these targets and stay fixed at
their sourced or assumed values (``docs/calibration.md``).

This is a local analysis at the model's current values; the posterior's own spread
(``posterior.PosteriorSample.summary``) is the global answer for the parameters that are estimated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .objective import CalibrationProblem

STEP = 0.05  # half the central-difference step, as a share of the prior width


def candidate_parameters(model) -> list[str]:
    """Parameters that differ between animals and carry no measured value: the source says
    'assumed' or 'calibrated'."""
    out = []
    for p in model.parameters.values_objects():
        source = p.source.lower()
        if p.varies and p.prior[1] > p.prior[0] and (source.startswith("assumed") or source.startswith("calibrated")):
            out.append(p.name)
    return out


def sensitivity_matrix(problem: CalibrationProblem, x0: np.ndarray | None = None) -> pd.DataFrame:
    """(targets x parameters): the change of each target, in its own uncertainty, across each
    parameter's whole prior width (central difference at ``x0``, default the model's values)."""
    x0 = problem.defaults() if x0 is None else np.asarray(x0, dtype=float)
    low, high = problem.bounds
    width = high - low
    h = STEP * width
    xs = [np.clip(x0 + sign * h[j] * np.eye(problem.dim)[j], low, high) for j in range(problem.dim) for sign in (1, -1)]
    values = problem.target_values(np.array(xs)).to_numpy()
    plus, minus = values[0::2], values[1::2]
    steps = np.array([xs[2 * j][j] - xs[2 * j + 1][j] for j in range(problem.dim)])
    scale = np.array([t.sigma for t in problem.targets])
    logged = np.array([t.shape == "lognormal" for t in problem.targets])
    with np.errstate(divide="ignore", invalid="ignore"):
        plus = np.where(logged, np.log(plus), plus)
        minus = np.where(logged, np.log(minus), minus)
        slope = (plus - minus) / steps[:, None] * width[:, None]
    slope = np.where(np.isfinite(slope), slope, 0.0) / scale
    return pd.DataFrame(slope.T, index=[t.id for t in problem.targets], columns=list(problem.names))


@dataclass(frozen=True)
class Estimability:
    """The ranking: ``table`` has one row per parameter in the order taken (rank, remainder: the
    orthogonalised sensitivity norm when taken, estimable: remainder >= cutoff)."""

    table: pd.DataFrame
    cutoff: float

    @property
    def estimable(self) -> list[str]:
        return self.table.loc[self.table["estimable"], "parameter"].tolist()

    @property
    def fixed(self) -> list[str]:
        return self.table.loc[~self.table["estimable"], "parameter"].tolist()

    def __str__(self) -> str:
        return (f"estimability (cutoff {self.cutoff:g}): {len(self.estimable)} of {len(self.table)} parameters "
                f"estimable\n" + self.table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


def rank_estimability(sensitivity: pd.DataFrame, cutoff: float = 1.0) -> Estimability:
    """Orthogonalised-sensitivity ranking of the columns of ``sensitivity`` (module doc)."""
    z = sensitivity.to_numpy(dtype=float)
    names = list(sensitivity.columns)
    remaining = list(range(z.shape[1]))
    chosen: list[int] = []
    rows = []
    residual = z.copy()
    while remaining:
        norms = np.linalg.norm(residual[:, remaining], axis=0)
        k = remaining[int(np.argmax(norms))]
        rows.append({"parameter": names[k], "rank": len(chosen) + 1, "remainder": float(norms.max()),
                     "sensitivity": float(np.linalg.norm(z[:, k]))})
        chosen.append(k)
        remaining.remove(k)
        basis = z[:, chosen]
        projection = basis @ np.linalg.lstsq(basis, z, rcond=None)[0]
        residual = z - projection
    table = pd.DataFrame(rows)
    # a parameter is estimable while every one taken before it was too (the ranking is sequential)
    table["estimable"] = (table["remainder"] >= cutoff).cummin()
    return Estimability(table, cutoff)
