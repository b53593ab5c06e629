"""Posterior sampling of a ``CalibrationProblem`` with an affine-invariant ensemble sampler (emcee,
Foreman-Mackey et al. 2013, PASP 125:306), differential-evolution moves (ter Braak & Vrugt 2008),
and diagnostics from arviz (rank-normalised split R-hat and bulk/tail ESS, Vehtari et al. 2021,
Bayesian Anal 16:667).

The walkers start from the maximum a posteriori point (``find_map``: CMA-ES, each generation one
batched simulation), spread over a small ball, and forget it during the burn-in. A parameter counts as converged when its bulk and tail ESS are at least
``MIN_ESS`` and its R-hat at most ``MAX_RHAT`` (walkers as chains).
"""
from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SpecError
from .objective import CalibrationProblem

MIN_ESS, MAX_RHAT = 200.0, 1.01
MAP_POPULATION = 32  # CMA-ES candidates per generation


@dataclass(frozen=True)
class SamplerSettings:
    """``walkers`` (0: four per parameter, at least 32), ``steps`` after ``burn_in``, ``seed``;
    ``map_iterations`` of CMA-ES find the start."""

    walkers: int = 0
    steps: int = 4000
    burn_in: int = 1500
    seed: int = 1
    map_iterations: int = 600

    def n_walkers(self, dim: int) -> int:
        n = self.walkers or max(32, 4 * dim)
        if n < 2 * dim or n % 2:
            raise SpecError(f"walkers: an even number of at least twice the parameters ({2 * dim}), got {n}")
        return n


def find_map(problem, start: np.ndarray, iterations: int, seed: int, progress=None) -> np.ndarray:
    """The maximum a posteriori point (sampling scale) by CMA-ES (Hansen 2016, arXiv:1604.00772)
    from ``start``, on the prior box scaled to [0, 1]; each generation is one batched evaluation.
    Returns the best point seen, the start included."""
    import cma

    low, high = problem.bounds
    width = high - low
    es = cma.CMAEvolutionStrategy(list((np.asarray(start) - low) / width), 0.15,
                                  {"bounds": [0, 1], "popsize": MAP_POPULATION, "seed": seed + 1, "verbose": -9})
    best = np.asarray(start, dtype=float)
    start_lp = float(problem.log_posterior(best[None])[0])
    best_cost = -start_lp if np.isfinite(start_lp) else np.inf
    for _ in range(iterations):
        u = np.array(es.ask())
        lp = problem.log_posterior(low + u * width)
        cost = np.where(np.isfinite(lp), -lp, 1e300)
        es.tell(list(u), list(cost))
        if cost.min() < best_cost:
            best_cost, best = float(cost.min()), low + u[int(np.argmin(cost))] * width
        if progress is not None:
            progress(1)
    return best


def sample_posterior(problem: CalibrationProblem, settings: SamplerSettings = SamplerSettings(), *,
                     start: np.ndarray | None = None, progress: bool = False) -> "PosteriorSample":
    """Run the ensemble; ``start`` (sampling scale) skips the search for the MAP."""
    import emcee
    from tqdm.auto import tqdm

    rng = np.random.default_rng(settings.seed)
    n = settings.n_walkers(problem.dim)
    if start is None:
        with tqdm(total=settings.map_iterations, desc="MAP (CMA-ES)", unit="gen", disable=not progress) as b:
            start = find_map(problem, problem.defaults(), settings.map_iterations, settings.seed, b.update)
    low, high = problem.bounds
    ball = np.clip(start + 0.01 * (high - low) * rng.standard_normal((n, problem.dim)), low, high)
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    sampler = emcee.EnsembleSampler(n, problem.dim, problem.log_posterior, moves=moves, vectorize=True)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    total = settings.burn_in + settings.steps
    with tqdm(total=total, desc="posterior (emcee)", unit="step", disable=not progress) as b:
        for _ in sampler.sample(ball, iterations=total):
            b.update(1)
    return PosteriorSample(problem.names, sampler.get_chain(), sampler.get_log_prob(), settings.burn_in,
                           float(np.mean(sampler.acceptance_fraction)), problem.to_values(start), settings,
                           _scale_info(problem))


def _scale_info(problem: CalibrationProblem) -> dict:
    low, high = problem.bounds
    return {"log10": problem.log_scale.tolist(), "low": low.tolist(), "high": high.tolist(),
            "value_low": problem.to_values(low).tolist(), "value_high": problem.to_values(high).tolist(),
            "defaults": problem.to_values(problem.defaults()).tolist()}


@dataclass
class PosteriorSample:
    """The chains (iterations x walkers x parameters, sampling scale: log10 where the prior is
    positive), their log-posterior, the burn-in to discard and the acceptance fraction."""

    names: tuple[str, ...]
    chain: np.ndarray
    log_prob: np.ndarray
    burn_in: int
    acceptance: float
    map_values: np.ndarray
    settings: SamplerSettings
    scales: dict

    # ---- draws ------------------------------------------------------------------------------
    def kept(self) -> np.ndarray:
        """(iterations after burn-in, walkers, parameters) on the sampling scale."""
        return self.chain[self.burn_in:]

    def values(self) -> pd.DataFrame:
        """Every kept draw in parameter units (one row per draw)."""
        flat = self.kept().reshape(-1, len(self.names))
        return pd.DataFrame(self._to_values(flat), columns=list(self.names))

    def _to_values(self, x: np.ndarray) -> np.ndarray:
        logged = np.array(self.scales["log10"])
        values = np.where(logged, 10.0 ** np.where(logged, x, 0.0), x)
        if "value_low" in self.scales:  # clipped to the priors (10 ** log10 round-off)
            values = np.clip(values, self.scales["value_low"], self.scales["value_high"])
        return values

    def median(self) -> dict[str, float]:
        """The posterior median of each parameter: the defaults the calibration writes."""
        return {n: float(v) for n, v in self.values().median().items()}

    def sets(self, n: int, seed: int = 0) -> list[dict[str, float]]:
        """``n`` parameter sets drawn from the kept draws (spread over walkers and iterations)."""
        draws = self.values()
        rows = np.random.default_rng(seed).choice(len(draws), size=min(n, len(draws)), replace=False)
        return [{k: float(v) for k, v in draws.iloc[i].items()} for i in rows]

    # ---- diagnostics ------------------------------------------------------------------------
    def inference_data(self):
        """arviz InferenceData of the kept draws (walkers as chains, sampling scale)."""
        az = _arviz()
        kept = np.swapaxes(self.kept(), 0, 1)  # chains x draws x parameters
        return az.from_dict(posterior={n: kept[:, :, k] for k, n in enumerate(self.names)})

    def summary(self) -> pd.DataFrame:
        """Per parameter: prior, previous default, posterior median and 90% interval, the share of
        the prior's width the interval covers, arviz bulk/tail ESS and R-hat, converged."""
        az = _arviz()
        data = self.inference_data()
        ess_bulk = az.ess(data, method="bulk")
        ess_tail = az.ess(data, method="tail")
        rhat = az.rhat(data)
        values = self.values()
        shares = self.interval_shares()
        rows = []
        for k, name in enumerate(self.names):
            low, high = self.scales["low"][k], self.scales["high"][k]
            rows.append({"parameter": name, "scale": "log10" if self.scales["log10"][k] else "linear",
                         "prior_low": float(10.0 ** low) if self.scales["log10"][k] else low,
                         "prior_high": float(10.0 ** high) if self.scales["log10"][k] else high,
                         "previous": self.scales["defaults"][k], "map": float(self.map_values[k]),
                         "median": float(values[name].median()), "q05": float(np.quantile(values[name], 0.05)),
                         "q95": float(np.quantile(values[name], 0.95)), "interval_share": shares[name],
                         "ess_bulk": float(ess_bulk[name]), "ess_tail": float(ess_tail[name]),
                         "r_hat": float(rhat[name])})
        table = pd.DataFrame(rows)
        table["converged"] = (table["ess_bulk"] >= MIN_ESS) & (table["ess_tail"] >= MIN_ESS) & (table["r_hat"] <= MAX_RHAT)
        return table

    def interval_shares(self) -> dict[str, float]:
        """Each parameter's 90% interval as a share of its prior width (on the sampling scale)."""
        kept = self.kept().reshape(-1, len(self.names))
        q05, q95 = np.quantile(kept, [0.05, 0.95], axis=0)
        width = np.asarray(self.scales["high"]) - np.asarray(self.scales["low"])
        return {n: float(v) for n, v in zip(self.names, (q95 - q05) / width)}

    def autocorrelation_time(self) -> np.ndarray:
        """emcee's integrated autocorrelation time per parameter (kept draws; tol 0: an estimate
        even when the chain is shorter than 50 times it)."""
        import emcee

        return emcee.autocorr.integrated_time(self.kept(), tol=0)

    def converged(self) -> bool:
        return bool(self.summary()["converged"].all())

    def __str__(self) -> str:
        walkers = self.chain.shape[1]
        head = (f"posterior of {len(self.names)} parameters: {walkers} walkers x {len(self.kept())} steps after "
                f"{self.burn_in} burn-in; acceptance {self.acceptance:.2f}")
        return head + "\n" + self.summary().to_string(index=False, float_format=lambda v: f"{v:.4g}")

    # ---- storage ----------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "chain.npz", chain=self.chain, log_prob=self.log_prob)
        meta = {"names": list(self.names), "burn_in": self.burn_in, "acceptance": self.acceptance,
                "map_values": [float(v) for v in self.map_values], "settings": asdict(self.settings),
                "scales": self.scales}
        (folder / "posterior.json").write_text(json.dumps(meta, indent=1))
        self.summary().to_csv(folder / "summary.csv", index=False)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "PosteriorSample":
        from ..errors import DataError

        folder = Path(folder)
        try:
            meta = json.loads((folder / "posterior.json").read_text())
            arrays = np.load(folder / "chain.npz")
        except (OSError, ValueError, KeyError) as exc:
            raise DataError(f"{folder}: not a calibration folder (posterior.json, chain.npz): {exc}") from None
        return cls(tuple(meta["names"]), arrays["chain"], arrays["log_prob"], int(meta["burn_in"]),
                   float(meta["acceptance"]), np.asarray(meta["map_values"]), SamplerSettings(**meta["settings"]),
                   meta["scales"])


def require_extra() -> None:
    """One clear error when the 'calibration' extra (emcee, arviz, cma) is missing."""
    from importlib.util import find_spec

    from ..errors import MissingExtra

    missing = [m for m in ("emcee", "arviz", "cma") if find_spec(m) is None]
    if missing:
        raise MissingExtra(f"calibration needs {', '.join(missing)}: pip install 'immunomet[calibration]'")


def _arviz():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz

    return arviz
