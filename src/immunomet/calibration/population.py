"""A plausible population: what calibration to the findings kept, and what it says.

``PlausiblePopulation`` holds every evaluated parameter set (prior draws and chain proposals, with
each finding's verdict) and the chains' states. It reports the prior's acceptance rate, each
finding's pass rate over the prior, the posterior range of each parameter against its prior, and
which parameters the findings pin down and which stay free; it gives plausible sets to run studies
over, and saves and loads itself (Parquet + JSON, with provenance).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError

PRIOR, CHAIN = "prior", "chain"  # kinds of evaluated sets: independent prior draws, chain proposals
PINNED, PARTLY, FREE, UNSURE, UNMIXED = "pinned", "partly", "free", "few samples", "chains disagree"
MIN_ESS = 20  # below this effective sample size a parameter's range is not judged
MAX_RHAT = 1.1  # above this split R-hat the chains have not mixed and a range is not judged


@dataclass
class PlausiblePopulation:
    """``evaluations``: one row per evaluated set; ``names``: the parameters searched;
    ``priors``/``defaults``: their prior ranges and model values; ``burn_in``: chain steps dropped."""

    evaluations: pd.DataFrame
    names: tuple[str, ...]
    priors: dict[str, tuple[float, float]]
    defaults: dict[str, float]
    required: tuple[str, ...]
    burn_in: int = 0
    provenance: dict = field(default_factory=dict)
    robustness: pd.DataFrame | None = None

    # ---- what was accepted ---------------------------------------------------------------------
    @property
    def prior_draws(self) -> pd.DataFrame:
        return self.evaluations[self.evaluations["kind"] == PRIOR]

    @property
    def chain_steps(self) -> pd.DataFrame:
        return self.evaluations[self.evaluations["kind"] == CHAIN]

    @property
    def acceptance_rate(self) -> float:
        """Share of prior draws that are plausible (NaN without a prior screen)."""
        draws = self.prior_draws
        return float(draws["plausible"].mean()) if len(draws) else float("nan")

    @property
    def move_acceptance(self) -> float:
        steps = self.chain_steps
        return float(steps["moved"].mean()) if len(steps) else float("nan")

    def samples(self) -> pd.DataFrame:
        """The plausible sets: chain states after burn-in, then plausible prior draws."""
        steps = self.chain_steps[self.chain_steps["step"] >= self.burn_in]
        states = steps[[f"state:{n}" for n in self.names]].set_axis(list(self.names), axis=1)
        states.insert(0, "chain", steps["chain"].to_numpy())
        accepted = self.prior_draws[self.prior_draws["plausible"]][list(self.names)].assign(chain=-1)
        return pd.concat([states, accepted], ignore_index=True)

    def sets(self, n: int, seed: int = 0) -> list[dict[str, float]]:
        """``n`` plausible sets, evenly thinned from ``samples`` (``seed`` breaks ties in the order)."""
        table = self.samples()
        if table.empty:
            raise DataError("the population holds no plausible set; run more chain steps or prior draws")
        if n >= len(table):
            picks = np.arange(len(table))
        else:
            offset = np.random.default_rng(seed).integers(len(table) // n)
            picks = offset + (np.arange(n) * len(table)) // n
        return table.iloc[picks][list(self.names)].to_dict("records")

    # ---- what it says --------------------------------------------------------------------------
    def finding_pass_rates(self) -> pd.DataFrame:
        """Per finding: share of prior draws and of chain proposals that pass it."""
        rows = []
        for f in self.required:
            row = {"finding": f}
            for label, table in (("prior draws", self.prior_draws), ("chain proposals", self.chain_steps)):
                row[f"{label} %"] = 100 * float((table[f] == "PASS").mean()) if len(table) else float("nan")
            rows.append(row)
        return pd.DataFrame(rows)

    def posterior(self) -> pd.DataFrame:
        """Per parameter: prior, default, plausible median and 5-95% range, the share of the prior's
        log10 width that the 90% range covers, effective sample size, and pinned (< 35%), partly or
        free (> 70%); "few samples" when the effective sample size is below ``MIN_ESS``, "chains
        disagree" when the split R-hat is above ``MAX_RHAT``."""
        samples = self.samples()
        rows = []
        for name in self.names:
            low, high = self.priors[name]
            logs = np.log10(samples[name].to_numpy())
            q05, q50, q95 = np.quantile(logs, [0.05, 0.5, 0.95]) if len(logs) else (np.nan,) * 3
            cover = (q95 - q05) / (0.9 * (np.log10(high) - np.log10(low)))
            ess, rhat = effective_sample_size(samples, name), split_rhat(samples, name)
            rows.append({"parameter": name, "prior_low": low, "prior_high": high, "default": self.defaults[name],
                         "median": 10**q50, "p5": 10**q05, "p95": 10**q95, "range_share": cover, "ess": ess,
                         "rhat": rhat, "verdict": _verdict(cover, ess, rhat)})
        return pd.DataFrame(rows).sort_values("range_share").reset_index(drop=True)

    def __str__(self) -> str:
        how = "tested" if self.provenance.get("significance", True) else "directions only"
        lines = [f"plausible population: {len(self.names)} parameters, required {', '.join(self.required)} "
                 f"({how}, {self.provenance.get('animals_per_arm', '?')} paired mice per arm)"]
        if len(self.prior_draws):
            lines.append(f"  prior draws: {len(self.prior_draws)}, plausible {100 * self.acceptance_rate:.1f}%")
        if len(self.chain_steps):
            lines.append(f"  chain steps: {len(self.chain_steps)} ({self.chain_steps['chain'].nunique()} chains, "
                         f"burn-in {self.burn_in}), moves accepted {100 * self.move_acceptance:.1f}%")
        lines.append(f"  plausible sets: {len(self.samples())}")
        return "\n".join(lines)

    # ---- storage -------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        self.evaluations.to_parquet(out / "evaluations.parquet", index=False)
        meta = {"names": list(self.names), "priors": {k: list(v) for k, v in self.priors.items()},
                "defaults": self.defaults, "required": list(self.required), "burn_in": self.burn_in,
                "provenance": self.provenance}
        (out / "population.json").write_text(json.dumps(meta, indent=2, default=str))
        self.posterior().to_csv(out / "posterior.csv", index=False)
        self.finding_pass_rates().to_csv(out / "pass_rates.csv", index=False)
        if self.robustness is not None:
            self.robustness.to_csv(out / "robustness.csv", index=False)
        return out

    @classmethod
    def load(cls, folder: str | Path) -> "PlausiblePopulation":
        path = Path(folder)
        if not (path / "population.json").is_file():
            raise DataError(f"{path}: not a calibration folder (no population.json); run 'immunomet calibrate'")
        meta = json.loads((path / "population.json").read_text())
        robustness = pd.read_csv(path / "robustness.csv") if (path / "robustness.csv").is_file() else None
        return cls(pd.read_parquet(path / "evaluations.parquet"), tuple(meta["names"]),
                   {k: tuple(v) for k, v in meta["priors"].items()}, meta["defaults"], tuple(meta["required"]),
                   meta["burn_in"], meta["provenance"], robustness)


def effective_sample_size(samples: pd.DataFrame, name: str) -> float:
    """Sum over chains of n / (1 + 2 sum of positive lag autocorrelations) of log10 values
    (Geyer's initial positive sequence, truncated at the first negative pair); prior draws count
    one each."""
    total = float((samples["chain"] < 0).sum())
    for _, chain in samples[samples["chain"] >= 0].groupby("chain"):
        x = np.log10(chain[name].to_numpy())
        n = len(x)
        if n < 4 or np.ptp(x) == 0:
            total += 1.0 if n else 0.0
            continue
        x = x - x.mean()
        acf = np.correlate(x, x, mode="full")[n - 1:] / (x @ x)
        tau, lag = 1.0, 1
        while lag + 1 < n and acf[lag] + acf[lag + 1] > 0:
            tau += 2 * (acf[lag] + acf[lag + 1])
            lag += 2
        total += n / tau
    return total


def split_rhat(samples: pd.DataFrame, name: str) -> float:
    """Split R-hat of log10 values over the chains (Gelman et al. 2013, Bayesian Data Analysis,
    3rd ed., sec. 11.4): each chain is cut in halves, and the variance between the halves' means is
    set against the variance within them. Near 1 when the chains sample one distribution; NaN with
    fewer than two halves of 4 or more states (prior draws do not count)."""
    halves = []
    for _, chain in samples[samples["chain"] >= 0].groupby("chain"):
        x = np.log10(chain[name].to_numpy())
        half = len(x) // 2
        if half >= 4:
            halves += [x[:half], x[half:2 * half]]
    if len(halves) < 2:
        return float("nan")
    n = min(len(h) for h in halves)
    table = np.array([h[:n] for h in halves])
    within = table.var(axis=1, ddof=1).mean()
    between_over_n = table.mean(axis=1).var(ddof=1)
    if within == 0:
        return 1.0 if between_over_n == 0 else float("inf")
    return float(np.sqrt(((n - 1) / n * within + between_over_n) / within))


def _verdict(cover: float, ess: float, rhat: float) -> str:
    if ess < MIN_ESS:
        return UNSURE
    if rhat > MAX_RHAT:
        return UNMIXED
    return PINNED if cover < 0.35 else FREE if cover > 0.7 else PARTLY
