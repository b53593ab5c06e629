"""The ODE path against analytic solutions.

1. Antibody PK alone: an i.v. bolus in a linear two-compartment model is a bi-exponential
   (Gibaldi & Perrier, Pharmacokinetics, 2nd ed., ch. 2).
2. Tumour growth with no immunity: logistic growth N(t) = K N0 e^{gt} / (K + N0 (e^{gt} - 1)),
   built from the same spec machinery.
"""
import numpy as np
import pytest

from immunomet import Protocol, Treatment, simulate
from immunomet.simulate import SolverOptions
from immunomet.spec import Model, Parameter, ParameterSet, Process, Species

TIGHT = SolverOptions(method="LSODA", rtol=1e-9, atol=1e-12, atol_cells=1e-8)


def two_compartment_plasma(t, dose, cl, q, vc, vp):
    k10, k12, k21 = cl / vc, q / vc, q / vp
    s = k10 + k12 + k21
    root = np.sqrt(s * s - 4 * k10 * k21)
    alpha, beta = (s + root) / 2, (s - root) / 2
    a = (alpha - k21) / (alpha - beta)
    b = (k21 - beta) / (alpha - beta)
    return dose * (a * np.exp(-alpha * t) + b * np.exp(-beta * t))


@pytest.mark.parametrize("engine", ["scipy", "batch"])
def test_isotype_iv_bolus_is_biexponential(mouse, engine):
    result = simulate(mouse, Protocol("wt", (Treatment("isotype", 200.0, (0.0,), "iv"),), days=20), options=TIGHT,
                      engine=engine)
    p = mouse.parameters
    bw = p.value("body_weight")
    expected = two_compartment_plasma(result.days, 200.0, p.value("CL_iso") * bw, p.value("Q_igg") * bw,
                                      p.value("vplasma_per_kg") * bw, p.value("vperiph_per_kg") * bw)
    assert np.allclose(result.species["iso_plasma"], expected, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("engine", ["scipy", "batch"])
def test_anti_pdl1_terminal_half_life_is_the_published_46_7_hours(mouse, engine):
    # Pharmaceutics 2020;12:595: anti-PD-L1 plasma half-life 46.7 h in tumour-bearing mice
    result = simulate(mouse, Protocol("wt", (Treatment("anti-pdl1", 200.0, (0.0,), "iv"),), days=30), options=TIGHT,
                      engine=engine)
    conc = result.observables["apdl1_conc_plasma"]
    slope = np.log(conc.loc[28.0] / conc.loc[20.0]) / 8.0
    assert np.log(2) / -slope * 24 == pytest.approx(46.7, rel=0.02)


def test_logistic_growth_without_immunity():
    params = ParameterSet([
        Parameter("g", 0.6, "1/day", (0.1, 1.0), "assumed: test"),
        Parameter("K", 1e9, "cell", (1e8, 1e10), "assumed: test"),
    ])
    model = Model("logistic", "growth only", (), (Species("n", "liver", "cell", 0.0, "cell"),), (),
                  (Process("growth", "g * n", {"n": 1}), Process("crowding", "g * n * n / K", {"n": -1})), params)
    from immunomet.simulate.ode import integrate
    from immunomet.spec import Dose

    traj = integrate(model.compile(), np.array([0.6, 1e9]), [Dose(0.0, "n", 1e3)], 40.0, TIGHT, np.array([True]))
    t = traj.out_times
    expected = 1e9 * 1e3 * np.exp(0.6 * t) / (1e9 + 1e3 * (np.exp(0.6 * t) - 1))
    assert np.allclose(traj.out_states[0], expected, rtol=1e-6)
