"""The patient model: the mouse model with human parameters, for colorectal cancer after resection.

Same species, processes and rules as ``mouse.py``; only parameter values differ, built from the
mouse table by the edits in ``data/patient_parameters.yaml``: extensive quantities scaled by
organ ratios, human antibody PK (atezolizumab-like anti-PD-L1, tocilizumab-like anti-IL-6R) and
human tumour kinetics. Day 0 is resection; the "injection" is the disseminated cancer cells of
which ``f_liver_arrest`` lodge in the liver; a relapse is the first metastasis to reach
``nodule_visible_cells`` (about 1 cm on CT). Tumour IL-6 (``p_il6_tumour``) is a patient covariate.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from importlib import resources

import yaml

from ..errors import SpecError
from ..spec import Model, ParameterSet
from .mouse import mouse_model
from .parameter_table import parse_parameter_table

# Human drug names a trial may use for the model's agents.
HUMAN_DRUG_NAMES = {
    "anti-pdl1": ("atezolizumab",),
    "anti-il6r": ("tocilizumab",),
    "anti-il6": ("siltuximab",),
    "poly-ic": ("poly-iclc", "hiltonol"),
}


def human_parameters(mouse: ParameterSet, edits: dict) -> ParameterSet:
    """Apply the scaling groups, overrides and human priors of ``edits`` to the mouse parameter set."""
    params = {name: p for name, p in mouse.items()}
    for group, spec in edits.get("scaling", {}).items():
        factor = float(spec["factor"])
        for name in spec["parameters"]:
            if name not in params:
                raise SpecError(f"patient_parameters.yaml: scaling.{group}: unknown parameter {name!r}")
            p = params[name]
            params[name] = replace(p, value=p.value * factor, prior=(p.prior[0] * factor, p.prior[1] * factor),
                                   source=f"mouse value x {factor:g} ({spec['why']}); mouse source: {p.source}")
    overrides = parse_parameter_table(edits.get("overrides", {}), "patient_parameters.yaml: overrides")
    for name, p in overrides.items():
        if name not in params:
            raise SpecError(f"patient_parameters.yaml: overrides: {name!r} is not a mouse-model parameter")
        params[name] = p
    for name, spec in (edits.get("priors") or {}).items():
        params[name] = _human_prior(params, name, spec)
    return ParameterSet(params.values())


def _human_prior(params: dict, name: str, spec: dict):
    """Parameter ``name`` with the prior ``spec["relative"]`` x its value; its source says why."""
    where = f"patient_parameters.yaml: priors.{name}"
    if name not in params:
        raise SpecError(f"{where}: {name!r} is not a mouse-model parameter")
    try:
        low, high = (float(x) for x in spec["relative"])
        why = str(spec["why"])
    except (KeyError, TypeError, ValueError):
        raise SpecError(f"{where}: needs 'relative: [low, high]' (multiples of the value) and 'why'") from None
    if not 0 < low <= 1 <= high:
        raise SpecError(f"{where}: relative must satisfy 0 < low <= 1 <= high, got [{low}, {high}]")
    p = params[name]
    source = f"{p.source}; human prior {low:g}-{high:g} x value: {why}"
    return replace(p, prior=(p.value * low, p.value * high), source=source)


@lru_cache(maxsize=1)
def patient_model() -> Model:
    """A colorectal cancer patient after resection of the primary, with occult liver micrometastases."""
    return patient_model_from(mouse_model())


@lru_cache(maxsize=1)
def _patient_edits() -> dict:
    return yaml.safe_load(resources.files("immunomet.models").joinpath("data", "patient_parameters.yaml").read_text())


def patient_model_from(mouse: Model) -> Model:
    """The patient model built from ``mouse`` (e.g. the mouse model with a calibrated parameter set):
    the same human edits applied to its values."""
    params = human_parameters(mouse.parameters, _patient_edits())
    agents = tuple(replace(a, aliases=a.aliases + HUMAN_DRUG_NAMES.get(a.name, ())) for a in mouse.agents)
    return replace(mouse, name="toyoshima2019-patient", description=__doc__.strip().splitlines()[0],
                   parameters=params, agents=agents)
