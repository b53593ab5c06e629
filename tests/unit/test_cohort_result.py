"""CohortResult: arrays for many animals; per-animal views built on demand; failures as statuses."""
import numpy as np
import pytest

from immunomet import Protocol, SolverOptions, simulate
from immunomet.readouts import expected_cohort, measure, measure_cohort
from immunomet.readouts.lab import MeasurementNoise
from immunomet.simulate import SolveStatus, simulate_cohort
from immunomet.simulate.cohort import parameter_rows
from immunomet.simulate.colonization import kendall_logs, kendall_logs_numpy


@pytest.fixture(scope="module")
def cohort(mouse):
    values = np.array([[1.5], [2.0], [3.0], [4.0]])
    return simulate_cohort(mouse, Protocol("il6-ko", days=21), [0, 1, 2, 3],
                           parameters=parameter_rows(mouse, ["kill_max"], values))


def test_a_view_is_the_single_animal_simulation(mouse, cohort):
    alone = simulate(mouse.with_parameters(kill_max=3.0), Protocol("il6-ko", days=21), seed=2)
    view = cohort[2]
    assert np.array_equal(view.species.to_numpy(), alone.species.to_numpy())
    assert np.array_equal(view.nodules.sizes, alone.nodules.sizes)
    assert view.provenance["parameters"]["kill_max"] == 3.0 and view.status is SolveStatus.SUCCESS


def test_values_and_states_of_all_animals_equal_each_view(cohort):
    values = cohort.values(["cancer_cells", "perforin_of_cd8"])
    for i, view in enumerate(cohort):
        assert np.allclose(values["perforin_of_cd8"][i], view.observables["perforin_of_cd8"], rtol=1e-12)
        assert np.array_equal(values["cancer_cells"][i], view.species["cancer_cells"].to_numpy())
        at = np.array([np.interp(13.3, view.days, view.species[s]) for s in view.species.columns])
        assert np.array_equal(cohort.state_at(13.3)[i], at)


def test_readouts_of_a_cohort_are_those_of_each_animal(cohort):
    noise = MeasurementNoise()
    together = measure_cohort(cohort, 21.0, noise, [np.random.default_rng(k) for k in range(4)])
    for i, view in enumerate(cohort):
        alone = measure(view, 21.0, noise, np.random.default_rng(i))
        assert alone == {k: v[i] for k, v in together.items()}


def test_stronger_killing_means_fewer_expected_nodules(cohort):
    nodules = expected_cohort(cohort, 21.0, ["visible_nodules"])["visible_nodules"]
    assert np.all(np.diff(nodules) < 0)


def test_a_failed_solve_is_a_status_per_animal_with_nan_readouts(mouse):
    starved = SolverOptions(max_rhs_evaluations=50)
    for engine in ("batch", "scipy"):
        cohort = simulate_cohort(mouse, Protocol("wt", days=21), [0, 1], options=starved, engine=engine)
        assert set(cohort.statuses()) == {SolveStatus.TOO_MANY_STEPS} and cohort.n_failed == 2
        assert all("steps" in m or "evaluations" in m for m in cohort.messages)
        values = measure_cohort(cohort, 21.0, MeasurementNoise(), [np.random.default_rng(0)] * 2)
        assert np.isnan(values["visible_nodules"]).all()


def test_compiled_kendall_equals_the_numpy_closed_form():
    rng = np.random.default_rng(0)
    times = np.minimum(np.arange(1051) * 0.02, 21.0)
    birth = np.full((50, len(times)), 0.75)
    death = 0.2 + 1.5 * rng.random(birth.shape)
    birth[:5] = 60.0  # extreme growth: the compiled kernel falls back to log space
    fast, ref = kendall_logs(times, birth, death), kendall_logs_numpy(times, birth, death)
    for a, b in zip(fast, ref):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_the_kendall_kernel_gives_the_same_rows_serial_parallel_and_from_strided_rates():
    """A pool thread whose share of the cores is one runs the serial kernel; the engine's rate
    array (animals, times, rules) is read in place, without copies."""
    from concurrent.futures import ThreadPoolExecutor

    from immunomet.simulate.cores import pin_threads

    rng = np.random.default_rng(1)
    times = np.linspace(0.0, 21.0, 400)
    rates = np.stack([0.8 + 0.1 * rng.random((30, len(times))), 0.2 + rng.random((30, len(times)))], axis=-1)
    contiguous = kendall_logs(times, rates[:, :, 0].copy(), rates[:, :, 1].copy())
    strided = kendall_logs(times, rates[:, :, 0], rates[:, :, 1])
    with ThreadPoolExecutor(2, initializer=pin_threads, initargs=(2,)) as pool:  # never numba's parallel kernel
        pinned = [f.result() for f in [pool.submit(kendall_logs, times, rates[:, :, 0], rates[:, :, 1])
                                       for _ in range(4)]]
    for other in (strided, *pinned):
        for a, b in zip(contiguous, other):
            assert np.array_equal(a, b)


def test_the_engine_reads_a_dose_table_as_its_per_animal_dose_lists(mouse):
    from immunomet.simulate.batch import _dose_arrays
    from immunomet.simulate.doses import dose_table
    from immunomet.studies import parse_study, plan_study

    plan = plan_study(parse_study({"name": "d", "seed": 1, "animals_per_arm": 2, "follow_up": 21, "arms": [
        {"name": "treated", "treatments": ["anti-pdl1:200ug@d8,d11,d14"]}]}))
    protocols = (plan.arms[0].protocol,) * 3
    compiled = mouse.compile()
    table = dose_table(mouse, protocols, np.tile(compiled.parameter_vector(mouse.parameters), (3, 1)))
    lists = [table.animal(i, compiled.species_names) for i in range(3)]
    assert len(lists[0]) >= 4
    for a, b in zip(_dose_arrays(compiled, table, 3), _dose_arrays(compiled, lists, 3)):
        assert np.array_equal(a, b)
