"""SBML export checked by an independent engine: libRoadRunner (CVODE) on the exported file.

Reference: libRoadRunner, Welsh et al. 2023, Bioinformatics 39:btac770. Both engines run at tight
tolerances; every species must agree to a relative difference below 1e-4 at daily outputs.
tests/reference/test_sbml_amici.py runs the same files in AMICI.
"""
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from immunomet import Protocol, SolverOptions, Treatment, simulate
from immunomet.interop import sbml_document

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

PROTOCOLS = {
    "wt": Protocol("wt", days=30),
    "il6-ko": Protocol("il6-ko", days=30),
    "il6-ko + anti-pdl1": Protocol("il6-ko", (Treatment("anti-pdl1", 200, (7, 10)),), days=30),
    "wt + anti-cd8 from day -1": Protocol("wt", (Treatment("anti-cd8", 200, (-1, 3, 7)),), days=14),
}
TIGHT = SolverOptions(rtol=1e-10, atol=1e-12, atol_cells=1e-10)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_roadrunner_on_exported_sbml_matches_immunomet(mouse, name):
    protocol = PROTOCOLS[name]
    rel, where = _worst(mouse, protocol, list(mouse.species_names))
    assert rel < 1e-4, where


def _worst(model, protocol, names):
    """Largest relative difference (scale floor 1e-9) between libRoadRunner on the export and
    immunomet's scipy path, at daily outputs, and where it is."""
    rr = roadrunner.RoadRunner(sbml_document(model, protocol))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    start = rr["day_offset"]  # SBML time 0 is the protocol's first event
    assert start == min([0.0, *(d for t in protocol.treatments for d in t.days)])
    days = np.arange(start, protocol.days + 0.5)
    theirs = np.asarray(rr.simulate(0, protocol.days - start, len(days), selections=names))
    ours = simulate(model, protocol, options=TIGHT, engine="scipy").species.loc[days, names].to_numpy()
    rel = np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-9)
    worst = np.unravel_index(rel.argmax(), rel.shape)
    return rel.max(), f"{names[worst[1]]} on day {days[worst[0]]:g}: {rel.max():.2e}"


def test_exported_sbml_is_valid_with_units_and_events(mouse):
    text = sbml_document(mouse, PROTOCOLS["il6-ko + anti-pdl1"])
    doc = libsbml.readSBMLFromString(text)
    doc.checkConsistency()
    errors = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
              if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert errors == []
    model = doc.getModel()
    assert model.getNumSpecies() == len(mouse.species) and model.getNumReactions() == len(mouse.processes)
    assert model.getParameter("host_il6").getValue() == 0.0  # genotype edit applied
    assert model.getParameter("k_il6").getUnits() != ""
    assert model.getNumEvents() == 2  # the two anti-PD-L1 doses; the day-0 injection is in the initial values
    injected = model.getInitialAssignmentBySymbol("cancer_cells")
    assert libsbml.formulaToL3String(injected.getMath()) == "cells_injected * f_liver_arrest"
    assert model.getSpecies("seeding_window").getInitialAmount() == 1.0


def test_exported_math_has_no_guards_or_singular_powers(mouse):
    """What AMICI (Froehlich et al. 2021, Bioinformatics 37:3676) needs to simulate the file: no
    piecewise/max/abs (each would become a root function, and one on a species that starts at 0
    never fires) and no x^n with a non-integer n (d/dx = n x^n / x is NaN at x = 0)."""
    text = sbml_document(mouse, PROTOCOLS["il6-ko + anti-pdl1"])
    model = libsbml.readSBMLFromString(text).getModel()
    formulas = [libsbml.formulaToL3String(r.getMath()) for r in model.getListOfRules()]
    formulas += [libsbml.formulaToL3String(r.getKineticLaw().getMath()) for r in model.getListOfReactions()]
    joined = " ".join(formulas)
    assert not any(word in joined for word in ("piecewise", "max(", "abs(", "geq(", "leq("))
    kill = libsbml.formulaToL3String(model.getAssignmentRuleByVariable("cd8_kill_per_cell").getMath())
    assert kill == "kill_max * spow(ratio_kill, l_kill) / (s_kill + spow(ratio_kill, l_kill))"
    assert all(re.fullmatch(r"\^\d+", power) for power in re.findall(r"\^[\w.(]+", joined))  # integer powers only


def test_power_offset_changes_results_by_less_than_the_tolerance():
    """spow(x, n) = x (x^2 + e^2)^((n-1)/2) replaces x^n. Where it matters most, at the prior's corner
    l_kill 0.46, kill_max 7.17, s_kill 0.4 (the steepest ratio^l at 0) and anti-CD8 from day -1 (few
    effectors for long), the export still agrees with immunomet to 1e-5 (measured 6e-7 with e = 1e-16;
    e = 1e-12 gave 5e-5, e = 1e-9 gave 1e-2)."""
    from immunomet import load_model

    model = load_model("mouse").with_parameters({"l_kill": 0.46, "kill_max": 7.17, "s_kill": 0.4})
    for protocol in (Protocol("wt", days=40), Protocol("wt", (Treatment("anti-cd8", 200, (-1, 3, 7)),), days=40)):
        rel, where = _worst(model, protocol, list(model.species_names))
        assert rel < 1e-5, where


def test_expected_visible_nodules_match_kendall_closed_form(mouse):
    """expected_visible_nodules (two ODE variables, Kendall 1948, Ann Math Stat 19:1) against
    immunomet's expected readout, whose trapezoid on a 0.002-day grid is second-order accurate
    (at the default 0.02-day grid it is off by up to 5e-3; measured 7e-5 at 0.002)."""
    from immunomet.readouts import expected_readouts

    fine = replace(TIGHT, rate_step=0.002)
    own = {"wt + anti-pdl1": Protocol("wt", (Treatment("anti-pdl1", 200, (7, 10)),), days=30),  # Il6-/- + anti-PD-L1
           "wt + anti-cd8 from day -1": Protocol("wt", (Treatment("anti-cd8", 200, (-1, 3, 7)),), days=30)}  # has none
    for name in ("wt", "il6-ko", "wt + anti-pdl1", "wt + anti-cd8 from day -1"):
        protocol = own.get(name) or PROTOCOLS[name]
        rr = roadrunner.RoadRunner(sbml_document(mouse, protocol))
        rr.integrator.relative_tolerance = 1e-10
        rr.integrator.absolute_tolerance = 1e-12
        start = rr["day_offset"]
        days = np.arange(start, protocol.days + 0.5)
        theirs = np.asarray(rr.simulate(0, protocol.days - start, len(days), selections=["expected_visible_nodules"]))[:, 0]
        result = simulate(mouse, protocol, options=fine, engine="scipy")
        ours = np.array([expected_readouts(result, d, ["visible_nodules"])["visible_nodules"] if d >= 0 else 0.0
                         for d in days])
        seen = ours > 1e-3
        assert seen.sum() >= 5, name
        rel = np.abs(theirs[seen] - ours[seen]) / ours[seen]
        assert rel.max() < 1e-3, f"{name}: day {days[seen][rel.argmax()]:g}, {rel.max():.2e}"


def test_patient_model_sbml_matches_immunomet_over_a_year():
    """The patient model (human parameter edits) through the same export: 1 year, atezolizumab i.v.
    (Radau: BDF at rtol 1e-10 cannot step past a 1.2 g dose, 'step size less than spacing')."""
    from immunomet.models import patient_model
    from immunomet.spec import Injection

    model = patient_model()
    protocol = Protocol("wt", (Treatment("anti-pdl1", 1.2e6, (28, 49, 70), "iv"),), Injection(cells=1e5), 365.0)
    rr = roadrunner.RoadRunner(sbml_document(model, protocol))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    days = np.arange(0.0, 366.0, 5.0)
    theirs = np.asarray(rr.simulate(0, 365, len(days), selections=list(model.species_names)))
    result = simulate(model, protocol, options=replace(TIGHT, method="Radau"), engine="scipy")
    assert result.ok, result.message
    ours = result.species.loc[days].to_numpy()
    # both integrators carry absolute errors of a few atol (1e-12): below 1e-7 (the seeding window
    # after its first weeks) compare absolutely, so 1e-4 still means 1e-4 of the quantity
    rel = np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-7)
    worst = np.unravel_index(rel.argmax(), rel.shape)
    assert rel.max() < 1e-4, f"{model.species_names[worst[1]]} on day {days[worst[0]]:g}: {rel.max():.2e}"


def test_petab_export_simulates_to_immunomets_fit_predictions(mouse, tmp_path):
    """The PEtab export of examples/own_data/synthetic (PEtab v1, Schmiester et al. 2021) run in
    libRoadRunner, condition by condition as the PEtab spec says (condition-table values set on the
    one SBML model, then simulated from time 0): every observable at every measurement equals the
    prediction immunomet's own fit uses (``calibration.fit.Objective``)."""
    from immunomet.calibration.fit import Objective
    from immunomet.calibration.own_data import load_problem
    from immunomet.interop.petab import export_petab

    folder = Path(__file__).resolve().parents[2] / "examples" / "own_data" / "synthetic"
    exported = export_petab(folder, tmp_path, mouse)
    own = load_problem(folder, mouse)
    ours = Objective(own, engine="scipy").predictions([own.nominal()])[0]
    formulas = exported.observables.set_index("observableId")["observableFormula"]
    meas = exported.measurements
    theirs = np.full(len(meas), np.nan)
    for _, condition in exported.conditions.iterrows():
        doc = libsbml.readSBMLFromString(exported.sbml)
        for pid, value in condition.drop(["conditionId", "conditionName"]).items():
            doc.getModel().getParameter(pid).setValue(float(value))
        rr = roadrunner.RoadRunner(libsbml.writeSBMLToString(doc))
        rr.integrator.relative_tolerance = 1e-10
        rr.integrator.absolute_tolerance = 1e-12
        rows = (meas["simulationConditionId"] == condition["conditionId"]).to_numpy()
        times = sorted({0.0, *meas.loc[rows, "time"]})
        names = sorted({n for f in formulas for n in re.findall(r"[A-Za-z_]\w*", f)})
        out = np.asarray(rr.simulate(times=times, selections=names))
        values = {t: dict(zip(names, out[k])) for k, t in enumerate(times)}
        for i in np.flatnonzero(rows):
            theirs[i] = eval(formulas[meas["observableId"].iloc[i]], {}, values[meas["time"].iloc[i]])  # noqa: S307
    # relative 1e-3 plus an absolute 1e-3 (of a nodule, a percent or an MFI unit): immunomet's side
    # runs at its default tolerances, and an expected count well below one carries their error
    excess = np.abs(theirs - ours) - (1e-3 * np.abs(ours) + 1e-3)
    assert excess.max() < 0, (meas.iloc[excess.argmax()].to_dict(), ours[excess.argmax()], theirs[excess.argmax()])


def test_every_readout_formula_of_the_petab_export_is_immunomets_expected_readout(mouse):
    """Each lab readout's PEtab observable formula (``interop.petab.READOUT_FORMULAS``), evaluated on
    the exported SBML in libRoadRunner, equals ``readouts.expected_readouts`` (Il6-/- + anti-PD-L1,
    days 14 and 21; visible nodules against a 0.002-day Kendall grid)."""
    from immunomet.interop.petab import READOUT_FORMULAS
    from immunomet.readouts import READOUTS, expected_readouts

    assert set(READOUT_FORMULAS) == {r.name for r in READOUTS}
    protocol = Protocol("il6-ko", (Treatment("anti-pdl1", 200, (7, 10)),), days=22)
    rr = roadrunner.RoadRunner(sbml_document(mouse, protocol))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    names = sorted({n for f in READOUT_FORMULAS.values() for n in re.findall(r"[A-Za-z_]\w*", f)})
    out = np.asarray(rr.simulate(times=[0.0, 14.0, 21.0], selections=names))
    result = simulate(mouse, protocol, options=replace(TIGHT, rate_step=0.002), engine="scipy")
    for row, day in ((1, 14.0), (2, 21.0)):
        ours = expected_readouts(result, day)
        for readout, formula in READOUT_FORMULAS.items():
            theirs = eval(formula, {}, dict(zip(names, out[row])))  # noqa: S307
            assert theirs == pytest.approx(ours[readout], rel=1e-4, abs=1e-9), (readout, day)
