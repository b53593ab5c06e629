"""Replication probability: how often a replicate experiment at the study's design reproduces each
finding (shared/design/EVIDENCE.md).

Virtual animals are independent given their seed streams, so every arm a finding needs is
simulated once at a large size (``pool`` animals, the study's own variability, measurement noise
and seeds: the first n animals of a pool are the design run's own). A replicate experiment is
then n animals per arm drawn from each pool with replacement (a bootstrap draw: each animal of a
replicate is an independent draw from the arm's simulated population), and the finding's own
check (``analysis.criteria``, the code that decides a single run, with Holm within the finding)
is applied to each of ``reps`` replicates at once. The replication probability is the share of
replicates that pass, with a 95% Wilson interval over the replicates. One replicate draws each
arm once, and every finding of that replicate uses the same animals, so "F1-F7 jointly" is the
share of replicates in which all seven pass. The interval covers the draw-to-draw error, not
the pool's own sampling error (small when the pool is much larger than n: checked against
genuinely re-seeded runs in ``benchmarks/findings_replication.py``).

F8 is drawn the same way from a pool of virtual patients (cohorts of the design's size, IL-6
strata as each patient's own). ``needs``: for a finding below the target (0.8), the smallest
group size of ``N_GRID`` at which it reaches it. ``replication_over_sets`` repeats the whole
estimate for each of several parameter sets (e.g. a plausible population's) and
``population_summary`` gives the distribution over sets.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .arms import find_arm
from .criteria import passes, readout_rows, survival_rows
from .dfs import dfs_table
from .findings import ALPHA, FINDINGS, SURV, missing_parts
from .groups import last_common_day
from .power import pool_plan
from .rowstats import holm_rows, wilson

N_GRID = (5, 8, 10, 12, 15, 20, 25, 30, 40, 50)
TARGET = 0.8
JOINT = ("F1", "F2", "F3", "F4", "F5", "F6", "F7")
JOINT_LABEL = "F1-F7"
DESIGN = "design"
PATIENTS = "patients"  # the key of F8's patient draws
TABLE_COLUMNS = ["n", "finding", "group_size", "passes", "reps", "probability", "low", "high", "pool_se",
                 "effective_reps"]
CRITERIA_COLUMNS = ["n", "finding", "criterion", "readout", "direction", "probability"]


@dataclass
class Pools:
    """Large simulated arms to draw replicate experiments from: ``result`` (a StudyResult of
    ``size`` animals per arm) for the mouse findings of ``plan`` (the design: its arms' n), and
    ``patients`` (a DFS table of a virtual patient pool) with the design's ``cohort`` size for F8."""

    plan: object
    result: object | None
    size: int
    findings: tuple
    patients: pd.DataFrame | None = None
    cohort: int = 0
    seconds: float = 0.0

    def design(self, arm: str) -> int:
        return next(a.animals for a in self.plan.arms if a.name == arm)


def checkable(plan, findings=FINDINGS) -> tuple:
    """The mouse findings whose arms ``plan`` holds (F9 only if its predictions arms are there)."""
    return tuple(f for f in findings if f.evaluable_on_mice
                 and all(find_arm(plan, k) for c in f.criteria for k in (c.reference, c.arm)))


def simulate_pools(plan, findings=FINDINGS, *, pool: int = 1000, trial=None, patients_pool: int = 0,
                   workers: int = 1, progress: bool = False) -> Pools:
    """Simulate every arm the ``findings`` need at ``pool`` animals; with ``trial`` (a TrialPlan
    of the untreated patient cohort) and ``patients_pool`` > 0, a patient pool for F8 too."""
    from ..studies import run_study, run_trial

    start = time.perf_counter()
    mice = checkable(plan, findings)
    arms = {find_arm(plan, k) for f in mice for c in f.criteria for k in (c.reference, c.arm)}
    result = run_study(pool_plan(plan, arms, pool), workers=workers, progress=progress) if arms else None
    if result is not None:  # e.g. a local-tumour study holds the arms but measures no nodules
        wide = result.wide()
        mice = tuple(f for f in mice if not missing_parts(f, result, plan, wide))
    patients, cohort = None, 0
    if trial is not None and patients_pool > 0 and any(f.cohort == "patients" for f in findings):
        cohort = trial.patients_per_arm
        pooled = run_trial(replace(trial, patients_per_arm=patients_pool), workers=workers, progress=progress)
        patients = dfs_table(pooled.patients)
    kept = tuple(f for f in findings if f in mice or (f.cohort == "patients" and patients is not None))
    return Pools(plan, result, pool, kept, patients, cohort, time.perf_counter() - start)


# ---- drawing and checking replicates ---------------------------------------------------------------
class _Draws:
    """The replicates of one group size: animal indices per arm, shared by every finding."""

    def __init__(self, pools: Pools, n: int | None, reps: int, rng: np.random.Generator):
        self.pools, self.n, self.reps, self.rng = pools, n, reps, rng
        self.wide = pools.result.wide() if pools.result is not None else None
        self._index: dict[str, np.ndarray] = {}
        width = n or max(a.animals for a in pools.plan.arms)
        # a paired design: animal i of every arm is the same virtual animal, so it is drawn once
        self._shared = rng.integers(0, pools.size, (reps, width)) if pools.plan.paired else None

    def index(self, arm: str) -> np.ndarray:
        """(reps, n) indices of the pool animals of ``arm`` in each replicate."""
        if arm not in self._index:
            size = self.n or self.pools.design(arm)
            if self._shared is not None:
                self._index[arm] = self._shared[:, :size]
            else:
                self._index[arm] = self.rng.integers(0, self.pools.size, (self.reps, size))
        return self._index[arm]

    def patient_index(self) -> np.ndarray:
        """(reps, cohort) indices of the pool patients in each replicate."""
        if PATIENTS not in self._index:
            self._index[PATIENTS] = self.rng.integers(0, len(self.pools.patients), (self.reps, self.pools.cohort))
        return self._index[PATIENTS]

    def units(self, keys) -> list[tuple[np.ndarray, int]]:
        """(indices, pool size) of the independently drawn units behind ``keys`` (arm names or
        PATIENTS): each arm's animals, or in a paired design the shared animals once."""
        mice = [k for k in keys if k != PATIENTS]
        out = [(self._index[PATIENTS], len(self.pools.patients))] if PATIENTS in keys else []
        if mice and self._shared is not None:
            widest = max((self._index[k] for k in mice), key=lambda i: i.shape[1])
            return out + [(widest, self.pools.size)]
        return out + [(self._index[k], self.pools.size) for k in mice]

    def readout(self, arm: str, readout: str, day: float) -> np.ndarray:
        at = self.wide[(self.wide["arm"] == arm) & (self.wide["day"] == day)]
        values = np.full(self.pools.size, np.nan)
        values[at["animal"].to_numpy(int)] = at[readout].to_numpy(float)
        return values[self.index(arm)]

    def survival(self, arm: str) -> tuple[np.ndarray, np.ndarray]:
        animals = self.pools.result.animals
        mine = animals[animals["arm"] == arm]
        t, e = np.full(self.pools.size, np.nan), np.zeros(self.pools.size, bool)
        ok = (mine["status"] == "success").to_numpy()
        t[mine["animal"].to_numpy(int)[ok]] = mine["survival_day"].to_numpy(float)[ok]
        e[mine["animal"].to_numpy(int)] = mine["death"].to_numpy(bool)
        i = self.index(arm)
        return t[i], e[i]


def _mouse_criterion(c, draws: _Draws, plan) -> dict:
    ref, arm = find_arm(plan, c.reference), find_arm(plan, c.arm)
    if c.readout == SURV:
        (tr, er), (ta, ea) = draws.survival(ref), draws.survival(arm)
        is_arm = np.zeros((draws.reps, tr.shape[1] + ta.shape[1]), bool)
        is_arm[:, tr.shape[1]:] = True
        return survival_rows(c.direction, c.bound, np.hstack([tr, ta]), np.hstack([er, ea]), is_arm, ~is_arm)
    day = last_common_day(draws.wide, [ref, arm], c.readout)
    return readout_rows(c.direction, c.bound, c.readout, draws.readout(ref, c.readout, day),
                        draws.readout(arm, c.readout, day))


def _patient_criterion(c, pools: Pools, draws: _Draws) -> dict:
    table = pools.patients
    i = draws.patient_index()
    ok = (table["status"] == "success").to_numpy()[i]
    group = table["arm"].to_numpy()[i]
    return survival_rows(c.direction, c.bound, table["survival_day"].to_numpy(float)[i],
                         table["death"].to_numpy(bool)[i], ok & (group == c.arm), ok & (group == c.reference))


def _finding_passes(finding, pools: Pools, draws: _Draws, alpha: float) -> np.ndarray:
    """(reps, criteria) bool: which criteria pass in each replicate, Holm within the finding."""
    if finding.cohort == "patients":
        rows = [_patient_criterion(c, pools, draws) for c in finding.criteria]
    else:
        rows = [_mouse_criterion(c, draws, pools.plan) for c in finding.criteria]
    adjusted = holm_rows(np.column_stack([r["p"] for r in rows]))
    return np.column_stack([passes(adjusted[:, k], r["ok"], alpha) for k, r in enumerate(rows)])


def replicate(pools: Pools, sizes=(None,), *, reps: int = 400, seed: int = 0, alpha: float = ALPHA):
    """Replication probability of each finding of ``pools`` at each group size of ``sizes``
    (None: the design's own n per arm; a number: that many animals in every arm; F8 only at its
    design cohort), and of F1-F7 jointly. Returns (findings table, criteria table)."""
    rng = np.random.default_rng(seed)
    rows, crit = [], []
    for n in sizes:
        draws = _Draws(pools, n, reps, rng)
        passed, used = {}, {}
        for f in pools.findings:
            if f.cohort == "patients" and n is not None:
                continue
            by_criterion = _finding_passes(f, pools, draws, alpha)
            passed[f.id] = by_criterion.all(axis=1)
            used[f.id] = _keys(f, pools.plan)
            rows.append(_row(f.id, n, passed[f.id], pool_variance(draws.units(used[f.id]), passed[f.id]),
                             _design_label(pools, f, n)))
            crit += [{"n": n or DESIGN, "finding": f.id, "criterion": k + 1, "readout": c.readout,
                      "direction": c.direction, "probability": float(by_criterion[:, k].mean())}
                     for k, c in enumerate(f.criteria)]
        if all(fid in passed for fid in JOINT):
            joint = np.all([passed[fid] for fid in JOINT], axis=0)
            keys = set().union(*(used[fid] for fid in JOINT))
            rows.append(_row(JOINT_LABEL, n, joint, pool_variance(draws.units(keys), joint),
                             "all in the same replicate"))
    return pd.DataFrame(rows, columns=TABLE_COLUMNS), pd.DataFrame(crit, columns=CRITERIA_COLUMNS)


def _keys(finding, plan) -> set:
    if finding.cohort == "patients":
        return {PATIENTS}
    return {find_arm(plan, k) for c in finding.criteria for k in (c.reference, c.arm)}


def pool_variance(units, passed: np.ndarray) -> float:
    """Variance of the replication probability from the pools' own sampling: the bias-corrected
    infinitesimal jackknife of a bagged estimate (Efron 2014, J Am Stat Assoc 109:991; Wager,
    Hastie & Efron 2014, J Mach Learn Res 15:1625, eq. 7): the sum over pool animals of the
    squared covariance, over replicates, between how often the animal was drawn and the verdict,
    less its Monte Carlo bias (draws per replicate x the verdict's variance / replicates)."""
    t = passed.astype(float)
    centred, reps = t - t.mean(), len(t)
    total, draws_per_rep = 0.0, 0
    for index, size in units:
        cov = np.bincount(index.ravel(), weights=np.repeat(centred, index.shape[1]), minlength=size) / reps
        total += float(cov @ cov)
        draws_per_rep += index.shape[1]
    return max(total - draws_per_rep * t.var() / reps, 0.0)


def _row(fid: str, n, passed: np.ndarray, pool_var: float, design: str) -> dict:
    """The share passing with a 95% Wilson interval at the effective number of replicates: the
    replicates' own binomial error plus the pools' sampling error (``pool_variance``)."""
    share, reps = float(passed.mean()), len(passed)
    binomial = share * (1 - share) / reps
    effective = reps if binomial == 0 else reps * binomial / (binomial + pool_var)
    low, high = wilson(share, effective)
    return {"n": n or DESIGN, "finding": fid, "group_size": design, "passes": int(passed.sum()), "reps": reps,
            "probability": share, "low": low, "high": high, "pool_se": float(np.sqrt(pool_var)),
            "effective_reps": float(effective)}


def _design_label(pools: Pools, finding, n) -> str:
    if finding.cohort == "patients":
        return f"cohort of {pools.cohort}"
    if n is not None:
        return f"{n} per arm"
    sizes = sorted({pools.design(find_arm(pools.plan, k)) for c in finding.criteria for k in (c.reference, c.arm)})
    return "/".join(map(str, sizes)) + " per arm"


# ---- the headline: at the design, at other sizes, and the size a finding needs ---------------------
@dataclass
class Replication:
    """``table``: one row per group size and finding (and "F1-F7" jointly): replicates passing,
    probability and 95% Wilson interval; ``criteria``: each criterion's own pass share;
    ``needs``: per finding below ``target`` at the design, the smallest n of ``grid`` reaching it."""

    table: pd.DataFrame
    criteria: pd.DataFrame
    needs: pd.DataFrame
    pool: int
    reps: int
    target: float = TARGET
    grid: tuple = N_GRID
    seconds: float = 0.0

    def at(self, n=None) -> pd.DataFrame:
        return self.table[self.table["n"] == (n or DESIGN)].reset_index(drop=True)

    def probability(self, finding: str, n=None) -> float:
        row = self.at(n)
        row = row[row["finding"] == finding]
        return float(row["probability"].iloc[0]) if len(row) else float("nan")

    def sentence(self, finding: str) -> str:
        """One line: the probability at the design with its CI, other sizes, what it needs."""
        rows = self.table[self.table["finding"] == finding]
        if rows.empty:
            return "replication: not estimated (its arms are not in the study, or no patient pool)"
        first = rows.iloc[0]
        text = (f"replicates {100 * first['probability']:.0f}% [{100 * first['low']:.0f}, {100 * first['high']:.0f}] "
                f"of {first['reps']} drawn experiments at {first['group_size']}")
        others = [f"n={r['n']}: {100 * r['probability']:.0f}%" for r in rows.iloc[1:].to_dict("records")]
        need = self.needs[self.needs["finding"] == finding]
        if len(need):
            text += f"; needs {need['needed_text'].iloc[0]} for {100 * self.target:.0f}%"
        crit = self.criteria[(self.criteria["finding"] == finding) & (self.criteria["n"] == DESIGN)]
        if len(crit) > 1 and first["probability"] < self.target:
            weakest = crit.loc[crit["probability"].idxmin()]
            text += (f"; weakest: criterion {weakest['criterion']} ({weakest['readout']} {weakest['direction']}) "
                     f"{100 * weakest['probability']:.0f}%")
        return text + (f" ({'; '.join(others)})" if others else "")

    def summary_text(self) -> str:
        joint = self.table[self.table["finding"] == JOINT_LABEL]
        lines = [f"replication: {self.reps} replicate experiments drawn from {self.pool} simulated animals per arm "
                 f"({self.seconds:.0f} s)"]
        lines += [f"  {JOINT_LABEL} jointly at {'the design' if r['n'] == DESIGN else 'n=' + str(r['n'])}: "
                  f"{100 * r['probability']:.0f}% [{100 * r['low']:.0f}, {100 * r['high']:.0f}]"
                  for r in joint.to_dict("records")]
        return "\n".join(lines)


def needs(pools: Pools, table: pd.DataFrame, *, grid=N_GRID, target: float = TARGET, reps: int = 400,
          seed: int = 1, alpha: float = ALPHA) -> pd.DataFrame:
    """For each mouse finding below ``target`` at the design: its probability at each n of
    ``grid`` (every arm n animals) and the smallest n reaching ``target`` ("> max" if none)."""
    design = table[table["n"] == DESIGN].set_index("finding")["probability"]
    low = [f for f in pools.findings if f.cohort == "mice" and design.get(f.id, 1.0) < target]
    if not low or not grid:
        return pd.DataFrame(columns=["finding", "needed", "needed_text"])
    sub = replace(pools, findings=tuple(low))
    grid_table, _ = replicate(sub, tuple(grid), reps=reps, seed=seed, alpha=alpha)
    rows = []
    for f in low:
        mine = grid_table[grid_table["finding"] == f.id]
        enough = mine.loc[mine["probability"] >= target, "n"]
        needed = int(enough.iloc[0]) if len(enough) else np.nan
        rows.append({"finding": f.id, **{f"n{r['n']}": r["probability"] for r in mine.to_dict("records")},
                     "needed": needed, "needed_text": f"n = {needed} per arm" if len(enough) else f"n > {max(grid)}"})
    return pd.DataFrame(rows)


def replication_probability(plan, *, findings=FINDINGS, sizes=(), pool: int = 1000, reps: int = 400,
                            trial=None, patients_pool: int = 0, grid=N_GRID, target: float = TARGET,
                            seed: int = 0, workers: int = 1, progress: bool = False,
                            pools: Pools | None = None) -> Replication:
    """The replication probability of each finding at the design of ``plan`` and at each n of
    ``sizes``, with the n each finding below ``target`` needs (``pools``: reuse simulated pools)."""
    start = time.perf_counter()
    pools = pools or simulate_pools(plan, findings, pool=pool, trial=trial, patients_pool=patients_pool,
                                    workers=workers, progress=progress)
    table, criteria = replicate(pools, (None, *sizes), reps=reps, seed=seed)
    need = needs(pools, table, grid=grid, target=target, reps=reps, seed=seed + 1)
    return Replication(table, criteria, need, pools.size, reps, target, tuple(grid), time.perf_counter() - start)


# ---- over a plausible population -----------------------------------------------------------------
def replication_over_sets(plan, sets: list[dict], *, findings=FINDINGS, sizes=(None,), pool: int = 200,
                          reps: int = 200, seed: int = 0, workers: int = 1) -> pd.DataFrame:
    """Replication probability at each group size of ``sizes`` (as ``replicate``: None is the
    design) for each parameter set of ``sets`` (dicts of values, e.g. posterior draws): one row per
    (set, n, finding), as ``replicate``."""
    out = []
    for i, values in enumerate(sets):
        model = plan.model.with_parameters(values)
        pools = simulate_pools(replace(plan, model=model), findings, pool=pool, workers=workers)
        table, _ = replicate(pools, sizes, reps=reps, seed=seed)
        out.append(table.assign(set=i))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def population_summary(table: pd.DataFrame, target: float = TARGET) -> pd.DataFrame:
    """Per group size and finding, over the sets: median replication probability, 5th-95th
    percentile, and the share of sets in which a replicate of that size reaches ``target``."""
    grouped = table.groupby(["n", "finding"], sort=False)["probability"]
    return pd.DataFrame({"sets": grouped.size(), "median": grouped.median(), "p5": grouped.quantile(0.05),
                         "p95": grouped.quantile(0.95),
                         "share_reaching_target": grouped.apply(lambda p: float((p >= target).mean()))}).reset_index()
