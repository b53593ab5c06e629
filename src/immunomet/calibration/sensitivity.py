"""Global sensitivity analysis with SALib: Sobol (Saltelli sampling) and Morris elementary effects.

sample -> evaluate -> analyse, as in SALib: ``salib_problem`` reads each parameter's prior from
the model (sampled uniformly in log10, since priors span orders of magnitude), ``sample`` draws
the design, ``scenario.evaluate`` runs the model, ``analyse`` turns outputs into indices. The
analysis functions never see the model, so they are tested on the Ishigami function's known
indices (tests/reference).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ImmunometError, SpecError
from ..spec import Model
from ..spec.parameters import did_you_mean
from .scenario import READOUTS, Scenario, check_readouts, evaluate

METHODS = ("morris", "sobol")


def _salib():
    import importlib.util

    if importlib.util.find_spec("SALib") is None:
        raise ImmunometError("sensitivity analysis needs SALib: pip install 'immunomet[sensitivity]'")


def salib_problem(model: Model, parameters=None) -> dict:
    """SALib problem over ``parameters`` (default: every parameter that varies between animals),
    bounds = log10 of each prior."""
    params = model.parameters
    if parameters is None:
        names = [n for n, p in params.items() if p.varies and p.prior[0] > 0 and p.prior[1] > p.prior[0]]
    else:
        names = list(parameters)
        for n in names:
            if n not in params:
                raise SpecError(f"parameters: unknown parameter {n!r}{did_you_mean(n, params)}")
            if not params[n].prior[0] > 0 or not params[n].prior[1] > params[n].prior[0]:
                raise SpecError(f"parameters: {n!r} has prior {params[n].prior}; it needs a positive range")
    bounds = [[float(np.log10(params[n].prior[0])), float(np.log10(params[n].prior[1]))] for n in names]
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def sample(problem: dict, method: str, n: int, seed: int) -> np.ndarray:
    """The design in the problem's (log10) coordinates."""
    _salib()
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=False, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=4, seed=seed)
    raise SpecError(f"method {method!r} unknown; use {' or '.join(METHODS)}")


def analyse(problem: dict, method: str, X: np.ndarray, Y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Indices of one output ``Y`` (NaN outputs are replaced by the output mean and counted)."""
    _salib()
    y = np.asarray(Y, dtype=float)
    failed = int(np.isnan(y).sum())
    y = np.where(np.isnan(y), np.nanmean(y), y)
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        table = pd.DataFrame({"parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                              "ST": res["ST"], "ST_conf": res["ST_conf"]}).sort_values("ST", ascending=False)
    else:
        from SALib.analyze import morris

        res = morris.analyze(problem, X, y, num_levels=4, seed=seed)
        table = pd.DataFrame({"parameter": problem["names"], "mu_star": res["mu_star"],
                              "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]}
                             ).sort_values("mu_star", ascending=False)
    table["rank"] = np.arange(1, len(table) + 1)
    table.attrs["failed"] = failed
    return table.reset_index(drop=True)


@dataclass
class SensitivityResult:
    """Ranked indices per readout (``tables``), with the design and outputs for reuse."""

    method: str
    scenario: Scenario
    problem: dict
    X: np.ndarray
    Y: np.ndarray
    readouts: tuple[str, ...]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def index(self) -> str:
        return "ST" if self.method == "sobol" else "mu_star"

    def ranked(self, top: int = 15) -> pd.DataFrame:
        """One column per readout: the ``top`` parameters by total-order index (Sobol) or mu* (Morris)."""
        cols = {r: [f"{p} ({v:.2g})" for p, v in zip(t["parameter"][:top], t[self.index][:top])]
                for r, t in self.tables.items()}
        return pd.DataFrame(cols, index=pd.RangeIndex(1, min(top, self.problem["num_vars"]) + 1, name="rank"))

    def long(self) -> pd.DataFrame:
        return pd.concat([t.assign(readout=r) for r, t in self.tables.items()], ignore_index=True)

    def __str__(self) -> str:
        n = len(self.X)
        return (f"SensitivityResult: {self.method}, {self.problem['num_vars']} parameters, {n} simulations; "
                f"{self.scenario.describe()}\n{self.ranked(10).to_string()}")


def run_sensitivity(model: Model, scenario: Scenario = Scenario(), *, parameters=None,
                    readouts=tuple(READOUTS), method: str = "morris", n: int = 16, seed: int = 0,
                    engine: str = "auto", progress: bool = False) -> SensitivityResult:
    """Sample the priors, simulate the scenario for every sample, rank parameters per readout."""
    readouts = check_readouts(readouts)
    problem = salib_problem(model, parameters)
    X = sample(problem, method, n, seed)
    low, high = (np.array([model.parameters[p].prior[k] for p in problem["names"]]) for k in (0, 1))
    values = np.clip(10.0 ** X, low, high)  # undo log10 round-off at the prior bounds
    Y = evaluate(model, scenario, problem["names"], values, readouts, engine=engine, progress=progress)
    tables = {r: analyse(problem, method, X, Y[:, k], seed) for k, r in enumerate(readouts)}
    return SensitivityResult(method, scenario, problem, X, Y, readouts, tables)
