"""SBML export checked by an independent engine: libRoadRunner (CVODE) on the exported file.

Reference: libRoadRunner, Welsh et al. 2023, Bioinformatics 39:btac770. Both engines run at tight
tolerances; every species must agree to a relative difference below 1e-4 at daily outputs.
"""
from dataclasses import replace

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
    rr = roadrunner.RoadRunner(sbml_document(mouse, protocol))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    start = rr["day_offset"]  # SBML time 0 is the protocol's first event
    assert start == min([0.0, *(d for t in protocol.treatments for d in t.days)])
    days = np.arange(start, protocol.days + 0.5)
    theirs = np.asarray(rr.simulate(0, protocol.days - start, len(days), selections=list(mouse.species_names)))
    ours = simulate(mouse, protocol, options=TIGHT, engine="scipy").species.loc[days].to_numpy()
    scale = np.maximum(np.abs(ours), 1e-9)
    rel = np.abs(theirs - ours) / scale
    worst = np.unravel_index(rel.argmax(), rel.shape)
    assert rel.max() < 1e-4, f"{mouse.species_names[worst[1]]} on day {days[worst[0]]:g}: {rel.max():.2e}"


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
    assert model.getNumEvents() == 3  # injection (cells + seeding window), two anti-PD-L1 doses


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
    rel = np.abs(theirs - ours) / np.maximum(np.abs(ours), 1e-9)
    worst = np.unravel_index(rel.argmax(), rel.shape)
    assert rel.max() < 1e-4, f"{model.species_names[worst[1]]} on day {days[worst[0]]:g}: {rel.max():.2e}"
