"""The SBML and PEtab exports in AMICI (Froehlich et al. 2021, Bioinformatics 37:3676): CVODES with a
symbolic Jacobian and sensitivities, so it fails where the SBML has guards or singular powers.

Before the smooth forms (interop/sbml_math.py), AMICI stopped at t = 0 with a NaN Jacobian from
``ratio_kill^l_kill`` and turned every ``piecewise`` guard into a root function. Now it must
agree with immunomet's scipy path and libRoadRunner on every species, with no root functions
besides the dose events. Each AMICI model build takes 15-25 s on 2 cores (needs ``pip install
amici``: swig, a C++ compiler, BLAS); skipped without AMICI.
"""
import logging

import numpy as np
import pytest

from immunomet import Protocol, SolverOptions, Treatment, load_model, simulate
from immunomet.interop import sbml_document

amici = pytest.importorskip("amici", minversion="1.0")
pytest.importorskip("libsbml")
from amici.sim.sundials import run_simulation  # noqa: E402

TIGHT = SolverOptions(rtol=1e-10, atol=1e-12, atol_cells=1e-10)
PROTOCOLS = {
    "wt": Protocol("wt", days=40),
    "ko_pdl1": Protocol("il6-ko", (Treatment("anti-pdl1", 200, (8, 11)),), days=40),
    "wt_acd8": Protocol("wt", (Treatment("anti-cd8", 200, (-1, 3, 7)),), days=40),
}


@pytest.fixture(scope="module")
def mouse():
    return load_model("mouse")


def _amici_states(text: str, name: str, folder, days: np.ndarray, species: list[str]):
    model = amici.SbmlImporter(text, from_file=False).sbml2amici(
        f"immunomet_{name}", folder, observation_model=[], generate_sensitivity_code=False,
        compute_conservation_laws=False, verbose=logging.WARNING)
    model.set_timepoints(list(days - days[0]))
    solver = model.create_solver()
    solver.set_relative_tolerance(1e-10)
    solver.set_absolute_tolerance(1e-12)
    solver.set_max_steps(10**6)
    rdata = run_simulation(model, solver)
    ids = list(model.get_state_ids())
    x = np.asarray(rdata["x"])
    return rdata["status"], model.ne, np.column_stack([x[:, ids.index(s)] for s in species])


@pytest.mark.parametrize("name", PROTOCOLS)
def test_amici_on_exported_sbml_matches_immunomet(mouse, name, tmp_path):
    protocol = PROTOCOLS[name]
    days = np.arange(min([0.0, *(d for t in protocol.treatments for d in t.days)]), protocol.days + 0.5)
    text = sbml_document(mouse, protocol)
    species = list(mouse.species_names)
    status, roots, theirs = _amici_states(text, name, tmp_path, days, species)
    assert status == 0
    dose_days = {d for t in protocol.treatments for d in t.days if d != days[0]} | ({0.0} if days[0] < 0 else set())
    assert roots == len(dose_days)  # the dose events only: no guard became a root function
    ours = simulate(mouse, protocol, options=TIGHT, engine="scipy").species.loc[days].to_numpy()
    rel = np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-9)
    worst = np.unravel_index(rel.argmax(), rel.shape)
    assert rel.max() < 1e-4, f"{species[worst[1]]} on day {days[worst[0]]:g}: {rel.max():.2e}"
    roadrunner = pytest.importorskip("roadrunner")
    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    other = np.asarray(rr.simulate(0, days[-1] - days[0], len(days), selections=species))
    assert np.max(np.abs(theirs - other) / np.maximum(np.abs(other), 1e-9)) < 1e-5


def test_petab_export_in_amici_matches_immunomets_fit(mouse, tmp_path):
    """``immunomet export-petab`` of examples/own_data/synthetic through AMICI's PEtab import
    (PEtab v1, Schmiester et al. 2021): each measurement's simulation equals immunomet's
    prediction, the log-likelihood is immunomet's for the normal and log-normal observables plus
    the documented normal approximation of the negative binomial, and AMICI's gradient agrees
    with finite differences."""
    petab = pytest.importorskip("petab.v1")
    from amici.importers.petab.v1 import import_petab_problem
    from amici.sim.sundials import SensitivityMethod, SensitivityOrder
    from amici.sim.sundials.petab.v1 import rdatas_to_simulation_df, simulate_petab

    from immunomet.calibration.fit import Objective
    from immunomet.calibration.own_data import load_problem, log_likelihood_terms
    from immunomet.interop.petab import COUNT_FLOOR, export_petab

    folder = "examples/own_data/synthetic"
    export_petab(folder, tmp_path / "petab", mouse)
    problem = petab.Problem.from_yaml(tmp_path / "petab" / "problem.yaml")
    model = import_petab_problem(problem, tmp_path / "amici", model_name="immunomet_petab_synthetic", compile_=True)
    solver = model.create_solver()
    solver.set_relative_tolerance(1e-8)
    solver.set_absolute_tolerance(1e-10)
    solver.set_sensitivity_order(SensitivityOrder.first)
    solver.set_sensitivity_method(SensitivityMethod.forward)
    ids = list(problem.x_free_ids)

    def run(x):
        return simulate_petab(problem, amici_model=model, solver=solver, problem_parameters=dict(zip(ids, x)),
                              scaled_parameters=True, scaled_gradients=True, log_level=logging.ERROR)

    x0 = np.array(problem.x_nominal_free_scaled)
    result = run(x0)
    sim = rdatas_to_simulation_df(result["rdatas"], model, problem.measurement_df)
    own = load_problem(folder, mouse)
    meas = own.measurements
    by_key = sim.groupby(["observableId", "simulationConditionId", "time"])["simulation"].first()
    theirs = np.array([by_key[("obs_" + o, c, t)] for o, c, t in zip(meas["observableId"], meas["conditionId"],
                                                                     meas["time"])])
    ours = Objective(own, engine="scipy").predictions([own.nominal()])[0]
    assert np.max(np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-6)) < 1e-3

    expected = 0.0
    nominal = own.nominal()
    for _, row in own.observables.iterrows():
        rows = (meas["observableId"] == row["observableId"]).to_numpy()
        y, m = meas["measurement"].to_numpy()[rows], theirs[rows]
        noise = float(nominal.get(row["noiseParameter"], row["noiseParameter"]))
        if row["noiseDistribution"] == "negative_binomial":  # the PEtab export's normal approximation
            var = m + m**2 / noise + COUNT_FLOOR
            expected += np.sum(-0.5 * np.log(2 * np.pi * var) - 0.5 * (y - m) ** 2 / var)
        else:
            expected += log_likelihood_terms(y, m, row["noiseDistribution"], noise).sum()
    assert result["llh"] == pytest.approx(expected, rel=1e-9)

    step = 1e-5
    finite = [(run(x0 + step * e)["llh"] - run(x0 - step * e)["llh"]) / (2 * step) for e in np.eye(len(ids))]
    assert np.array([result["sllh"][i] for i in ids]) == pytest.approx(finite, rel=1e-3)
