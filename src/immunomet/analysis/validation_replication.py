"""How often each validation experiment passes when it is run again: the suite's single run
(``validation_suite.run_suite``) is one seed per experiment, and an experiment whose checks sit near
their alpha flips between runs. ``replicate_suite`` reruns every experiment with seeds 1..K (each
study re-seeded, so new animals and new measurement noise; the criterion and design unchanged),
and reports per experiment the share of runs that PASS with a Wilson 95% interval, the weakest
check's share, and the distribution of the number of experiments passing in one suite run.
Nothing is written into the experiment folders: their ``result.md`` stays the pre-registered
single run.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from ..errors import ImmunometError, SpecError
from .rowstats import wilson
from .validation_suite import discover, load_experiment, run_experiment, select_experiments


@dataclass(frozen=True)
class SuiteReplication:
    """Per experiment and per check: passes over the re-seeded runs; per seed: experiments passing."""

    root: str
    seeds: tuple[int, ...]
    experiments: pd.DataFrame   # experiment, runs, passes, not_run, probability, low, high, weakest_check, weakest
    checks: pd.DataFrame        # experiment, check, runs, passes, probability
    passing_per_run: np.ndarray  # per seed: experiments that passed in that suite run

    def expected_passes(self) -> float:
        """Mean number of experiments passing in one suite run."""
        return float(self.passing_per_run.mean()) if self.passing_per_run.size else float("nan")

    def pass_rate(self) -> tuple[float, float, float]:
        """Share of experiment runs that passed (every experiment and seed), Wilson 95% interval."""
        runs, passes = int(self.experiments["runs"].sum()), int(self.experiments["passes"].sum())
        return _share(passes, runs)

    def __str__(self) -> str:
        shown = self.experiments.copy()
        shown["passes"] = [f"{p:.0%} [{lo:.0%}, {hi:.0%}]" for p, lo, hi in
                           zip(shown["probability"], shown["low"], shown["high"])]
        shown["weakest check"] = [f"{c} {w:.0%}" if isinstance(c, str) else "-" for c, w in
                                  zip(shown["weakest_check"], shown["weakest"])]
        table = shown[["experiment", "runs", "not_run", "passes", "weakest check"]]
        rate, low, high = self.pass_rate()
        counts = self.passing_per_run
        spread = (f"{np.median(counts):.0f} (5-95%: {np.quantile(counts, 0.05):.0f}-{np.quantile(counts, 0.95):.0f})"
                  if counts.size else "-")
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            return (f"validation suite {self.root} rerun with seeds {self.seeds[0]}-{self.seeds[-1]} "
                    f"({len(self.seeds)} runs per experiment)\n{table.to_string(index=False)}\n\n"
                    f"experiments passing per suite run: mean {self.expected_passes():.2f} of {len(self.experiments)}, "
                    f"median {spread}; experiment runs passing {rate:.0%} (95% CI {low:.0%}-{high:.0%})")


def replicate_suite(root: str | Path = "validation", seeds=range(1, 101), *, names: list[str] | None = None,
                    workers: int = 1, progress: bool = False) -> SuiteReplication:
    """Rerun every experiment under ``root`` (or only ``names``) once per seed (module doc)."""
    from tqdm.auto import tqdm

    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise SpecError("seeds: give at least one seed")
    folders = select_experiments(discover(root), names, root)
    rows, check_rows, passing = [], [], np.zeros(len(seeds), dtype=int)
    bar = tqdm(total=len(folders) * len(seeds), disable=not progress, desc="validation runs", unit="run")
    for folder in folders:
        verdicts, check_passes = _rerun(folder, seeds, workers, bar)
        passing += np.array([v == "PASS" for v in verdicts], dtype=int)
        rows.append(_experiment_row(folder.name, verdicts, check_passes))
        check_rows += [{"experiment": folder.name, "check": c, "runs": len(v), "passes": int(sum(v)),
                        "probability": float(np.mean(v)) if v else float("nan")} for c, v in check_passes.items()]
    bar.close()
    return SuiteReplication(str(root), seeds, pd.DataFrame(rows), pd.DataFrame(check_rows), passing)


def _rerun(folder: Path, seeds: tuple[int, ...], workers: int, bar) -> tuple[list[str], dict[str, list[bool]]]:
    """Each seed's verdict of the experiment in ``folder``, and each check's pass/fail per run."""
    try:
        experiment = load_experiment(folder)
    except (ImmunometError, OSError):
        bar.update(len(seeds))
        return ["NOT RUN"] * len(seeds), {}
    verdicts, checks = [], {c.id: [] for c in experiment.criterion.checks}
    for seed in seeds:
        reseeded = replace(experiment, plans={name: plan.with_seed(seed) for name, plan in experiment.plans.items()})
        try:
            result = run_experiment(reseeded, workers=workers)
        except ImmunometError:
            verdicts.append("NOT RUN")
        else:
            verdicts.append(result.verdict)
            for check in result.checks:
                if check.passed is not None:
                    checks[check.id].append(bool(check.passed))
        bar.update(1)
    return verdicts, checks


def _experiment_row(name: str, verdicts: list[str], checks: dict[str, list[bool]]) -> dict:
    runs = sum(v != "NOT RUN" for v in verdicts)
    passes = sum(v == "PASS" for v in verdicts)
    probability, low, high = _share(passes, runs)
    shares = {c: float(np.mean(v)) for c, v in checks.items() if v}
    weakest = min(shares, key=shares.get) if shares else None
    return {"experiment": name, "runs": runs, "passes": passes, "not_run": len(verdicts) - runs,
            "probability": probability, "low": low, "high": high, "weakest_check": weakest,
            "weakest": shares.get(weakest, float("nan")) if weakest else float("nan")}


def _share(passes: int, runs: int) -> tuple[float, float, float]:
    """passes / runs with its Wilson 95% interval (NaN without runs)."""
    return (passes / runs if runs else float("nan"), *wilson(passes / runs if runs else 0.0, runs))
