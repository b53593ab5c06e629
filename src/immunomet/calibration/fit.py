"""Fitting a model to own data (``own_data.OwnDataProblem``): maximum likelihood from several starts,
then profile likelihoods for confidence intervals (Raue et al. 2009, Bioinformatics 25:1923).

    fit = Fitter(problem).fit(starts=5, seed=0)   # returns self, like a lifelines fitter
    fit.summary                                   # estimate, 95% profile CI, identifiable?
    fit.plot()                                    # data and fitted model; profiles

Every evaluation simulates each condition's typical animal for a batch of parameter sets at once
(the batched engine when numba is installed): the objective and its central-difference gradient
cost one batch per condition. Convergence is judged as in multi-start practice: each start's
optimiser status, and how many starts reached the best optimum.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.stats import qmc

from ..readouts import expected_cohort
from ..simulate.cohort import parameter_rows, resolve_engine, simulate_cohort
from .own_data import OwnDataProblem, log_likelihood_terms

CHI2_95 = float(stats.chi2.ppf(0.95, 1))  # profile threshold: 2 x delta log-likelihood
STEP = 1e-4                                # central-difference step, in scaled units
SAME_OPTIMUM = 0.1                         # starts within this of the best -log L reached it


@dataclass
class Objective:
    """-log L of a problem as a function of the scaled estimated parameters (batched)."""

    problem: OwnDataProblem
    engine: str = "auto"
    evaluations: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.engine = resolve_engine(self.engine)
        p = self.problem
        self._fixed = p.nominal()
        self._protocols = {c: p.protocol(c) for c in p.conditions["conditionId"] if c in set(p.measurements["conditionId"])}
        self._obs = p.observables.set_index("observableId")

    def predictions(self, batch: list[dict[str, float]]) -> np.ndarray:
        """(len(batch) x measurements) expected readouts."""
        p, meas = self.problem, self.problem.measurements
        out = np.full((len(batch), len(meas)), np.nan)
        names = [k for k in self._fixed | batch[0] if k in p.model.parameters]
        matrix = parameter_rows(p.model, names, [[(self._fixed | values)[k] for k in names] for values in batch])
        for condition, protocol in self._protocols.items():
            rows = np.flatnonzero(meas["conditionId"].to_numpy() == condition)
            cohort = simulate_cohort(p.model, protocol, [0] * len(batch), parameters=matrix, engine=self.engine)
            for day, idx in meas.iloc[rows].groupby("time").groups.items():
                readouts = self._obs.loc[meas.loc[idx, "observableId"], "readout"].tolist()
                values = expected_cohort(cohort, float(day), sorted(set(readouts)))
                out[:, meas.index.get_indexer(idx)] = np.column_stack([values[r] for r in readouts])
        self.evaluations += len(batch)
        return out

    def negative_log_likelihood(self, batch: list[dict[str, float]]) -> np.ndarray:
        meas = self.problem.measurements
        pred = self.predictions(batch)
        total = np.zeros(len(batch))
        for obs_id, rows in meas.groupby("observableId").groups.items():
            obs = self._obs.loc[obs_id]
            idx = meas.index.get_indexer(rows)
            y = meas.loc[rows, "measurement"].to_numpy()
            for b, values in enumerate(batch):
                noise = _noise(obs["noiseParameter"], self._fixed | values)
                total[b] -= log_likelihood_terms(y, pred[b, idx], obs["noiseDistribution"], noise).sum()
        return np.where(np.isfinite(total), total, 1e12)

    def value_and_gradient(self, x: np.ndarray, free: np.ndarray | None = None,
                           fixed: dict[int, float] | None = None) -> tuple[float, np.ndarray]:
        """-log L at ``x`` and its central-difference gradient over the ``free`` coordinates."""
        lows, highs = np.array(self.problem.scaled_bounds()).T
        full = np.clip(self._full(x, free, fixed), lows, highs)
        free = np.arange(len(full)) if free is None else free
        points, spans = [full], []
        for j in free:  # central differences, one-sided at a bound
            up, down = full.copy(), full.copy()
            up[j], down[j] = min(full[j] + STEP, highs[j]), max(full[j] - STEP, lows[j])
            points += [up, down]
            spans.append(up[j] - down[j])
        values = self.negative_log_likelihood([self._values(pt) for pt in points])
        grad = (values[1::2] - values[2::2]) / np.array(spans)
        return float(values[0]), grad

    def _values(self, scaled: np.ndarray) -> dict[str, float]:
        """Parameter values, kept inside their bounds despite round-off of the scale."""
        est = self.problem.estimated
        values = self.problem.from_scaled(scaled)
        return {n: float(np.clip(values[n], lo, hi)) for n, lo, hi in zip(est["parameterId"], est["lowerBound"],
                                                                            est["upperBound"])}

    @staticmethod
    def _full(x, free, fixed) -> np.ndarray:
        if free is None:
            return np.asarray(x, float)
        full = np.empty(len(free) + len(fixed))
        full[free] = x
        for j, v in fixed.items():
            full[j] = v
        return full


def _noise(spec, values: dict[str, float]) -> float:
    if spec == "" or spec is None:
        return float("nan")
    try:
        return float(spec)
    except ValueError:
        return float(values[spec])


def minimise(objective: Objective, x0, bounds, free=None, fixed=None) -> optimize.OptimizeResult:
    return optimize.minimize(objective.value_and_gradient, np.asarray(x0, float), args=(free, fixed), jac=True,
                             method="L-BFGS-B", bounds=bounds, options={"maxiter": 300})


def start_points(problem: OwnDataProblem, n: int, seed: int) -> np.ndarray:
    """The nominal values, then a Latin hypercube over the scaled bounds."""
    bounds = np.array(problem.scaled_bounds())
    nominal = problem.to_scaled({k: problem.nominal()[k] for k in problem.names})
    if n <= 1:
        return nominal[None, :]
    unit = qmc.LatinHypercube(d=len(bounds), seed=np.random.default_rng(seed)).random(n - 1)
    return np.vstack([nominal, bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])])


def profile(objective: Objective, best: np.ndarray, best_nll: float, j: int, first: float = 0.01,
            growth: float = 1.5, points: int = 14) -> pd.DataFrame:
    """The profile of coordinate ``j``: walk from the optimum towards each bound in steps growing
    from ``first`` (scaled units) by ``growth``, re-optimising the others at each step (warm
    started), until 2 x delta(-log L) exceeds the 95% threshold (with a margin) or the bound."""
    bounds = objective.problem.scaled_bounds()
    free = np.array([k for k in range(len(best)) if k != j])
    rows = [{"value": best[j], "nll": best_nll}]
    for end in bounds[j]:
        x_others, offset, step = best[free], 0.0, first
        for _ in range(points):
            offset = min(offset + step, abs(end - best[j]))
            step *= growth
            v = best[j] + np.sign(end - best[j]) * offset
            if len(free):
                res = minimise(objective, x_others, [bounds[k] for k in free], free, {j: v})
                nll, x_others = float(res.fun), res.x
            else:
                nll = objective.value_and_gradient(np.array([v]))[0]
            rows.append({"value": v, "nll": nll})
            if 2 * (nll - best_nll) > 1.5 * CHI2_95 or offset >= abs(end - best[j]):
                break
    table = pd.DataFrame(rows).sort_values("value").reset_index(drop=True)
    return table.assign(delta=2 * (table["nll"] - best_nll))


def profile_interval(table: pd.DataFrame, best: float) -> tuple[float, float]:
    """Where the profile crosses the threshold on each side of ``best`` (linear interpolation);
    NaN where it stays below it up to the bound (not identifiable on that side)."""
    out = []
    for side in (table[table["value"] <= best][::-1], table[table["value"] >= best]):
        x, d = side["value"].to_numpy(), side["delta"].to_numpy()
        above = np.flatnonzero(d > CHI2_95)
        if not len(above) or above[0] == 0:
            out.append(float("nan"))
            continue
        k = above[0]
        out.append(float(np.interp(CHI2_95, [d[k - 1], d[k]], [x[k - 1], x[k]])))
    return out[0], out[1]
