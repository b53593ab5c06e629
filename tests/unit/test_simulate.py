import json

import numpy as np
import pandas as pd
import pytest

from immunomet import Protocol, simulate
from immunomet.simulate import SolveStatus
from immunomet.random import animal_seed
from immunomet.spec import Genotype, Model, Parameter, ParameterSet, Process, Species


@pytest.fixture(scope="module")
def result(mouse):
    return simulate(mouse, Protocol("wt", days=14), seed=7)


def test_result_prints_tabulates_and_saves(result, tmp_path):
    assert result.ok
    text = str(result)
    assert "visible liver nodules" in text and result.provenance["model_hash"] in text
    tidy = result.tidy()
    assert {"day", "variable", "kind", "value", "unit"} <= set(tidy.columns)
    assert tidy.query("variable == 'il6'")["unit"].iloc[0] == "pg/mL"
    out = result.save(tmp_path / "run")
    back = pd.read_parquet(out / "trajectories.parquet")
    assert len(back) == len(tidy)
    prov = json.loads((out / "provenance.json").read_text())
    for key in ("model_hash", "parameters", "seed", "immunomet_version", "numpy", "scipy", "protocol"):
        assert key in prov
    assert prov["parameters"]["kill_max"] == result.provenance["parameters"]["kill_max"]


def test_plot_writes_a_png(result, tmp_path):
    result.plot(tmp_path / "fig.png")
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"


def test_same_seed_same_nodules_different_seed_differs(mouse):
    a = simulate(mouse, Protocol("wt", days=14), seed=3)
    b = simulate(mouse, Protocol("wt", days=14), seed=3)
    c = simulate(mouse, Protocol("wt", days=14), seed=4)
    assert np.array_equal(a.nodules.sizes, b.nodules.sizes)
    assert not np.array_equal(a.nodules.sizes, c.nodules.sizes)
    d = simulate(mouse, Protocol("wt", days=14), seed=animal_seed(3, 5))
    assert d.provenance["spawn_key"] == [5]


def test_visible_nodules_follow_the_closed_form(mouse):
    """Across seeds, the mean visible count equals arrested x P(alive) x P(size >= threshold)."""
    from immunomet.simulate.colonization import visible_probability

    results = [simulate(mouse, Protocol("wt", days=14), seed=s) for s in range(8)]
    p_alive, mean_alive = results[0].lineages.at(14.0)
    thr = mouse.parameters.value("nodule_visible_cells")
    arrested = np.mean([r.nodules.arrested for r in results])
    expected = arrested * p_alive * visible_probability(mean_alive, thr)
    counts = np.array([r.nodules.visible for r in results])
    assert abs(counts.mean() - expected) < 4 * np.sqrt(expected / len(counts)) + 1


def test_solver_failure_is_a_status_not_a_crash():
    # x' = x^2 from x(0)=1 blows up at t=1: the solver must report it, not raise
    params = ParameterSet([Parameter("k", 1.0, "1/cell/day", (0.5, 2.0), "assumed: test")])
    model = Model("blowup", "finite-time blow-up", (), (Species("x", "liver", "cell", 1.0, "cell"),), (),
                  (Process("explode", "k * x * x", {"x": 1}),), params, genotypes=(Genotype("wt", {}),))
    res = simulate(model, Protocol("wt", days=3.0), engine="scipy")
    assert res.status in (SolveStatus.STEP_SIZE_TOO_SMALL, SolveStatus.NON_FINITE) and not res.ok
    assert "day 0-3" in res.message
    assert res.species["x"].iloc[0] == 1.0 and np.isnan(res.species["x"].iloc[-1])
