"""Animals per arm needed to detect an effect, by simulation.

For each comparison (arm vs reference, on a readout or on survival) a pool of virtual animals is
simulated per arm with the study's own variability, noise and seeds; experiments of n animals per
arm are drawn from the pools (without replacement while n <= pool size) and tested the way the
findings are tested (Mann-Whitney U, or log-rank for survival). Power at n is the share of drawn
experiments with p < alpha and the effect in the stated direction; the animals needed are the
smallest n reaching the target power. Each comparison is tested on its own (no multiplicity
correction), as a sample-size calculation for one primary comparison usually is.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .groups import last_common_day
from .logrank import logrank_many, rmst_many
from .rowstats import mannwhitney_p

N_GRID = (3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30)


@dataclass(frozen=True)
class Comparison:
    label: str
    readout: str          # a readout name, or "survival"
    reference: str        # arm names in the plan
    arm: str
    direction: str        # higher, lower, longer, or different (either way)


def pool_plan(plan, arm_names: set[str], pool: int):
    """The plan restricted to ``arm_names``, with ``pool`` animals each (same seeds per animal)."""
    arms = tuple(replace(a, animals=pool) for a in plan.arms if a.name in arm_names)
    return replace(plan, arms=arms)


def power_analysis(plan, comparisons: list[Comparison], *, pool: int = 40, n_grid=N_GRID, reps: int = 200,
                   alpha: float = 0.05, target: float = 0.8, seed: int = 0, workers: int = 1,
                   progress: bool = False, result=None) -> pd.DataFrame:
    """One row per comparison: pooled effect, power at each n of ``n_grid``, animals needed.
    ``result`` may pass an already simulated pool (a StudyResult of ``pool_plan``)."""
    if result is None:
        from ..studies.execute import run_study

        needed = {c.reference for c in comparisons} | {c.arm for c in comparisons}
        result = run_study(pool_plan(plan, needed, pool), workers=workers, progress=progress)
    wide = result.wide()
    rng = np.random.default_rng(seed)
    rows = []
    for c in comparisons:
        at = wide if c.readout == "survival" else wide[wide["day"] == last_common_day(wide, [c.reference, c.arm],
                                                                                       c.readout)]
        ref, arm = _pool_values(result, at, c, c.reference), _pool_values(result, at, c, c.arm)
        powers = {n: _power(ref, arm, n, c, reps, alpha, rng) for n in n_grid}
        enough = [n for n, p in powers.items() if p >= target]
        rows.append({"comparison": c.label, "readout": c.readout, "reference": c.reference, "arm": c.arm,
                     "direction": c.direction, "pool": min(len(ref[0]), len(arm[0])), "effect": _effect(ref, arm, c),
                     **{f"power_n{n}": p for n, p in powers.items()},
                     "animals_needed": enough[0] if enough else np.nan,
                     "needed_text": str(enough[0]) if enough else f"> {max(n_grid)}"})
    return pd.DataFrame(rows)


def _pool_values(result, wide, c: Comparison, arm: str):
    if c.readout == "survival":
        a = result.animals[(result.animals["arm"] == arm) & (result.animals["status"] == "success")]
        return a["survival_day"].to_numpy(float), a["death"].to_numpy(bool)
    v = wide.loc[wide["arm"] == arm, c.readout].to_numpy(float)
    v = v[np.isfinite(v)]
    return v, None


def _effect(ref, arm, c: Comparison) -> str:
    if c.readout == "survival":
        return (f"RMST {_rmst(*ref):.1f} -> {_rmst(*arm):.1f} d; deaths {int(ref[1].sum())}/{len(ref[1])} -> "
                f"{int(arm[1].sum())}/{len(arm[1])}")
    m_ref, m_arm = np.median(ref[0]), np.median(arm[0])
    return f"median {m_ref:.3g} -> {m_arm:.3g}"


def _power(ref, arm, n: int, c: Comparison, reps: int, alpha: float, rng) -> float:
    i = _draws(len(ref[0]), n, reps, rng)
    j = _draws(len(arm[0]), n, reps, rng)
    if c.readout == "survival":
        return float(np.mean(_survival_significant(ref[0][i], ref[1][i], arm[0][j], arm[1][j], c, alpha)))
    return float(np.mean(_readout_significant(ref[0][i], arm[0][j], c, alpha)))


def _draws(size: int, n: int, reps: int, rng) -> np.ndarray:
    """(reps, n) animal indices: without replacement while n <= size."""
    if n > size:
        return rng.integers(0, size, (reps, n))
    return np.argsort(rng.random((reps, size)), axis=1)[:, :n]


def _readout_significant(x: np.ndarray, y: np.ndarray, c: Comparison, alpha: float) -> np.ndarray:
    """Per drawn experiment (rows): Mann-Whitney p < alpha in the stated direction."""
    p = mannwhitney_p(x, y)  # the findings' own test, its method chosen per drawn experiment
    mx, my = np.median(x, axis=1), np.median(y, axis=1)
    up = (my > mx) | ((my == mx) & (y.mean(axis=1) > x.mean(axis=1)))
    if c.direction == "different":
        return p < alpha
    return (p < alpha) & (up if c.direction == "higher" else ~up)


def _survival_significant(t1, e1, t2, e2, c: Comparison, alpha: float) -> np.ndarray:
    """Per drawn experiment (rows): log-rank p < alpha (``analysis.logrank``, scipy.stats.logrank's
    statistic) and, unless either way counts, longer survival of the arm by restricted mean
    survival time."""
    _, p = logrank_many(t1, e1, t2, e2)
    longer = rmst_many(t2, e2) > rmst_many(t1, e1)
    return (p < alpha) & (longer | (c.direction == "different"))


def _rmst(t, e) -> float:
    """Restricted mean survival time up to the last time in ``t`` (area under the KM curve)."""
    return float(rmst_many(np.asarray(t)[None, :], np.asarray(e)[None, :])[0])


def findings_comparisons(plan, findings=None) -> list[Comparison]:
    """The tested criteria of the findings checklist that ``plan`` can run, as comparisons."""
    from .arms import find_arm
    from .findings import FINDINGS

    out = []
    for f in findings or FINDINGS:
        if not f.evaluable_on_mice:
            continue
        for k, cr in enumerate(f.criteria):
            if cr.direction == "similar":
                continue
            ref, arm = find_arm(plan, cr.reference), find_arm(plan, cr.arm)
            if ref and arm:
                out.append(Comparison(f"{f.id}.{k + 1}", cr.readout, ref, arm, cr.direction))
    return out


def default_comparisons(plan) -> list[Comparison]:
    """For a user's study: every arm against the first arm of its part, on the part's primary
    readout (nodules, or tumour volume for local tumours) and on survival where deaths are possible."""
    out = []
    firsts: dict[str, str] = {}
    for arm in plan.arms:
        first = firsts.setdefault(arm.part, arm.name)
        if first == arm.name:
            continue
        if arm.readout_days:
            readout = "tumour_volume" if arm.protocol.injection.local else "visible_nodules"
            out.append(Comparison(f"{arm.name} vs {first}: {readout}", readout, first, arm.name, "different"))
        else:
            out.append(Comparison(f"{arm.name} vs {first}: survival", "survival", first, arm.name, "different"))
    return out
