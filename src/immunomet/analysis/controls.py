"""Negative controls: cut the mechanism a finding rests on, and the finding must FAIL.

A check that cannot fail shows nothing. For each of F1-F7 the table below names the model edit
that removes the mechanism the finding is about (the parameter values of a model in which that
step of BIOLOGY.md's mechanism does not exist) and why. ``tests/unit/test_honest_checks.py``
runs each cut on a well-powered study (30 mice per arm) and asserts that its finding FAILs, and
that every parameter named here exists in the model.

The model's structure will change (new signals, new IL-6 targets): when it does, update this
table so each cut still removes *every* route of its mechanism, e.g. if IL-6 gains a direct effect
on the cancer cells, the F1 cut must switch that off too.

A cut value may lie outside the parameter's prior (a switched-off effect is not a plausible
value): ``cut_model`` widens the prior to hold it and keeps the value the same in every animal,
because animal-to-animal variability would otherwise move each animal's value off the cut
(draws are clipped to the prior range, and varied around the value).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

from ..errors import SpecError


@dataclass(frozen=True)
class Cut:
    values: MappingProxyType
    reason: str


def _cut(reason: str, **values: float) -> Cut:
    return Cut(MappingProxyType(values), reason)


IL6_OFF_DCS = dict(imax_il6_maturation=0.0, imax_il6_cytokine=0.0)
IL6_OFF = dict(IL6_OFF_DCS, emax_il6_growth=0.0, emax_il6_pdl1=0.0)  # and on the cancer cells (STAT3)
IFN_OFF_CANCER_CELLS = dict(emax_ifn_pdl1=0.0, emax_ifn_mhc1=0.0)
IFNG_OFF_CANCER_CELLS = dict(emax_ifng_pdl1=0.0, emax_ifng_mhc1=0.0)

NEGATIVE_CONTROLS = MappingProxyType({
    "F1": _cut("IL-6 no longer holds DCs immature nor lowers their IL-12/IFN output, nor speeds the cancer "
               "cells: Il6-/- has nothing to protect with", **IL6_OFF),
    "F2": _cut("as F1: without IL-6's effects, Il6-/- hosts cannot outlive WT", **IL6_OFF),
    "F3": _cut("CD8 effectors do not kill cancer cells: the Il6-/- protection cannot rest on CD8 T cells",
               kill_max=0.0),
    "F4": _cut("as F1: DC maturation and cytokine output independent of IL-6, so Il6-/- foci hold the same DCs "
               "and effectors", **IL6_OFF_DCS),
    "F5": _cut("type I IFN and IL-12 have no effect (no IFN-driven maturation, PD-L1 or MHC-I; signal 3 "
               "complete without IL-12): blocking them cannot matter", emax_ifn_maturation=0.0, s3_floor=1.0,
               **IFN_OFF_CANCER_CELLS),
    "F6": _cut("neither interferon raises PD-L1 or MHC-I on the cancer cells. Type I IFN alone is not enough to "
               "cut: anti-IFNAR1 also lowers IFN-gamma (fewer mature DCs, fewer effectors), so the check cannot "
               "tell the two routes apart", **IFN_OFF_CANCER_CELLS, **IFNG_OFF_CANCER_CELLS),
    "F7": _cut("the cancer cells carry no PD-L1 (a PD-L1-null line): there is no PD-1 brake for anti-PD-L1 "
               "to release", pdl1_base=0.0),
})


def cut_model(model, finding: str):
    """``model`` with ``finding``'s negative-control cut applied (``Model.with_cut``: each cut value
    in every animal, its prior widened to hold it)."""
    cut = NEGATIVE_CONTROLS[finding]
    unknown = sorted(set(cut.values) - set(model.parameters))
    if unknown:
        raise SpecError(f"negative control of {finding}: the model has no parameter {', '.join(unknown)}; "
                        f"update analysis.controls.NEGATIVE_CONTROLS")
    return model.with_cut(dict(cut.values), f"negative control of {finding}: {cut.reason}")


def cut_plan(plan, finding: str):
    """The study plan with its model cut for ``finding`` (``cut_model``)."""
    return replace(plan, model=cut_model(plan.model, finding))
