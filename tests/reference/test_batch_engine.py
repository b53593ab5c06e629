"""The batched numba engine against the single-animal scipy path it must reproduce.

Both run the same BDF scheme (scipy's, Shampine & Reichelt 1997); they differ in the Jacobian
(coloured finite differences vs scipy's num_jac) and the linear algebra, so step sequences may
differ slightly and answers agree to the integration tolerance: here, every species within 1e-3
relative (plus 10 x its absolute tolerance) at default tolerances, and within 1e-6 at tight ones.
"""
import numpy as np
import pytest

from immunomet import Protocol, SolverOptions, Treatment, simulate
from immunomet.cohorts import Variability

pytest.importorskip("numba")
from immunomet.simulate.cohort import batch_engine, simulate_cohort  # noqa: E402

PROTOCOLS = {
    "wt": Protocol("wt", days=28),
    "il6-ko + anti-pdl1": Protocol("il6-ko", (Treatment("anti-pdl1", 200, (8, 11)),), days=40),
    "wt + anti-cd8 from day -1": Protocol("wt", (Treatment("anti-cd8", 200, (-1, 3, 7)),), days=21),
    "wt + anti-il6r + poly-ic": Protocol("wt", (Treatment("anti-il6r", 2000, (-1,), "iv"),
                                                Treatment("poly-ic", 50, (1, 4, 7))), days=21),
}


def _animals(mouse, n, seed):
    rng = np.random.default_rng(seed)
    models = [mouse.with_parameters(Variability(0.1).sample(mouse.parameters, rng)) for _ in range(n)]
    return models, [np.random.SeedSequence(seed, spawn_key=(i,)) for i in range(n)]


def _close(batch, ref, mouse, options, rel):
    """Every species within ``rel`` relative plus 10 x its absolute tolerance; returns (ok, worst errors)."""
    atol = np.where(mouse.compile().cell_species, options.atol_cells, options.atol)
    a, b = batch.species.to_numpy(), ref.species.to_numpy()
    bad = np.abs(a - b) > rel * np.abs(b) + 10 * atol
    return not bad.any(), np.abs(a - b)[bad][:3]


@pytest.mark.parametrize("name", PROTOCOLS)
def test_batched_engine_reproduces_the_scipy_path(mouse, name):
    models, seeds = _animals(mouse, 3, seed=len(name))
    options = SolverOptions()
    batch = simulate_cohort(models, PROTOCOLS[name], seeds, options=options, engine="batch")
    for model, seed, b in zip(models, seeds, batch):
        ref = simulate(model, PROTOCOLS[name], seed=seed, options=options, engine="scipy")
        assert b.ok and ref.ok
        ok, worst = _close(b, ref, mouse, options, 1e-3)
        assert ok, worst
        if ref.nodules is not None:
            assert b.nodules.visible == ref.nodules.visible  # same seed, same probabilities: same draw


def test_tight_tolerances_agree_to_1e_6(mouse):
    options = SolverOptions(rtol=1e-10, atol=1e-12, atol_cells=1e-10)
    protocol = PROTOCOLS["il6-ko + anti-pdl1"]
    b = simulate_cohort([mouse], protocol, [0], options=options, engine="batch")[0]
    ref = simulate(mouse, protocol, options=options, engine="scipy")
    a, r = b.species.to_numpy(), ref.species.to_numpy()
    assert np.all(np.abs(a - r) <= 1e-6 * np.abs(r) + 1e-9)


def test_each_animal_is_independent_of_its_batch(mouse):
    """Results do not depend on which other animals share the batch (so not on chunking)."""
    models, seeds = _animals(mouse, 4, seed=9)
    protocol = PROTOCOLS["wt + anti-cd8 from day -1"]
    together = simulate_cohort(models, protocol, seeds, engine="batch")
    alone = [simulate_cohort([m], protocol, [s], engine="batch")[0] for m, s in zip(models, seeds)]
    for x, y in zip(together, alone):
        assert np.array_equal(x.species.to_numpy(), y.species.to_numpy())


def test_a_failing_animal_gets_a_status_and_the_others_finish(mouse):
    protocol = PROTOCOLS["wt"]
    engine = batch_engine(mouse)
    params, doses = mouse.resolve(protocol)
    p = engine.compiled.parameter_vector(params)
    out_t = np.arange(0, 28.5, 1.0)
    run = engine.run(np.stack([p, p]), [doses, doses], np.array([28.0, 28.0]), out_t, max_steps=30)
    assert list(run.status) == [2, 2] and "too many steps" in run.status_text(0)
    good = engine.run(p[None, :], [doses], 28.0, out_t)
    assert good.status[0] == 0 and np.isfinite(good.states).all()
