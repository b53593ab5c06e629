"""Export a model and one protocol as SBML Level 3 Version 2 (needs the ``sbml`` extra).

What is written:
- every species as an amount (``hasOnlySubstanceUnits``) in a compartment of size 1, with its
  unit; initial values resolved for the protocol's genotype, as an initial assignment where a
  parameter gives them (e.g. ``dc_immature = dc_immature_0``);
- every parameter with its value and unit (a unit definition per distinct unit; time in days);
- every rule as an assignment rule, every process as a reaction whose kinetic law is the
  unit-converted rate (the same scale factors immunomet's own code uses);
- ``hill``, ``occupancy`` and non-integer powers in smooth forms (``sbml_math``): no
  ``piecewise``, so no root functions besides the dose events;
- every dose as a bolus: the ones at SBML time 0 in the initial amounts, later ones as events at
  fixed times adding to their species. The injected cells that seed the tumour are
  ``cells_injected * f_liver_arrest`` (or the local take share for a s.c./i.d. injection);
- for a liver colonisation, Kendall's lineage statistics as two ODE variables (rate rules on
  parameters), started at the injection: ``kendall_rho`` = integral of (death - birth) per
  cancer cell and ``kendall_g`` with ``g' = birth + (birth - death) g`` (so a surviving
  lineage's mean size is 1 + g and P(alive) = exp(-rho) / (1 + g)); the assignment rule
  ``expected_visible_nodules`` = arrested cells x P(alive) x (g / (1 + g))^(threshold - 1) (the
  power written with ``spow``) is immunomet's expected visible-nodule count
  (``simulate.colonization``), without immunomet's trapezoid on a 0.02-day grid.

SBML time starts at 0 when the protocol starts: day 0 (the injection) or the first dose if that is
earlier (e.g. anti-CD8 on day -1). The parameter ``day_offset`` holds that start day, so
``day = time + day_offset``; simulate from 0 to ``days - day_offset``.

No clamp at zero: immunomet evaluates rate laws on species clamped at zero (``np.maximum(y,
0)``); SBML has no clamp and the export writes none (a ``max`` would be a root function again).
Instead every function is written so that it is defined and smooth for slightly negative
arguments (``sbml_math``): a species that a solver drives a little below zero gives a rate of
the matching small size, not NaN, and the solver's error control pulls it back. With sensible
tolerances species stay non-negative to within the absolute tolerance, and results agree
(tests/reference/test_sbml_roadrunner.py and test_sbml_amici.py).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImmunometError, SpecError
from ..spec import Injection, Model, ParameterSet, Protocol
from ..units import BASE_DIMENSIONS, parse_unit
from .sbml_math import FUNCTIONS, functions_used, to_infix

CELLS = "cells_injected"
RHO, G, VISIBLE = "kendall_rho", "kendall_g", "expected_visible_nodules"
ADDED_IDS = {"day_offset", CELLS, RHO, G, VISIBLE, *FUNCTIONS}
# immunomet base dimension -> (SBML unit kind, scale of immunomet's base unit in that kind)
_KINDS = {"time": ("second", 86400.0), "cell": ("item", 1.0), "mass": ("gram", 1.0),
          "volume": ("litre", 1.0), "amount": ("mole", 1.0)}


@dataclass(frozen=True)
class Bolus:
    """``amount`` (an SBML formula whose value here is ``value``) added to ``species`` at SBML ``time``."""

    time: float
    species: str
    amount: str
    value: float


@dataclass(frozen=True)
class Extra:
    """A parameter the export adds (a dose amount, the injected cells): id, value, unit."""

    id: str
    value: float
    unit: str


def _libsbml():
    try:
        import libsbml
    except ImportError:
        raise ImmunometError("SBML export needs python-libsbml: pip install 'immunomet[sbml]'") from None
    return libsbml


def sbml_document(model: Model, protocol: Protocol | None = None) -> str:
    """The SBML text of ``model`` under ``protocol`` (genotype edits, injection, doses)."""
    protocol = protocol or Protocol()
    params, doses = model.resolve(protocol)
    start = min([0.0, *(d.day for d in doses)])
    agents = {a.name for a in model.agents}
    boluses = injection_boluses(model, protocol.injection, params, start)
    boluses += [Bolus(d.day - start, d.species, repr(float(d.amount)), d.amount) for d in doses
                if d.label in agents and d.day <= protocol.days]
    title = f"{model.name} ({model.hash}): {protocol.genotype}"
    return build_document(model, params, boluses, start, [Extra(CELLS, protocol.injection.cells, "cell")],
                          lineage_time(model, protocol.injection, start), title)


def write_sbml(model: Model, path: str | Path, protocol: Protocol | None = None) -> Path:
    path = Path(path)
    text = sbml_document(model, protocol)
    try:
        path.write_text(text)
    except OSError as exc:
        raise ImmunometError(f"{path}: cannot write ({exc.strerror}); give a writable file path") from None
    return path


def injection_boluses(model: Model, injection: Injection, params: ParameterSet, start: float) -> list[Bolus]:
    """The injected cells that seed the tumour (``cells_injected`` x the share parameter) and the
    opened seeding window, at the injection's SBML time."""
    col = model.colonisation
    if col is None:
        return []
    share = model.injection_share_parameter(injection)
    t = injection.day - start
    out = [Bolus(t, col.species, f"{CELLS} * {share}", injection.cells * params.value(share))]
    if not injection.local and col.window_species:
        out.append(Bolus(t, col.window_species, "1.0", 1.0))
    return out


def lineage_time(model: Model, injection: Injection, start: float) -> float | None:
    """SBML time at which the Kendall lineage statistics start (None: no liver colonisation)."""
    return None if model.colonisation is None or injection.local else injection.day - start


def build_document(model: Model, params: ParameterSet, boluses: list[Bolus], start: float, extras: list[Extra],
                   lineage: float | None, title: str) -> str:
    """SBML text: the model with ``params``, ``boluses`` (SBML times), added parameters, and (if
    ``lineage`` is a time) the Kendall lineage statistics started then."""
    _check_ids(model, extras)
    libsbml = _libsbml()
    compiled = model.compile()
    y0 = compiled.initial_state(compiled.parameter_vector(params))
    w = _Writer(libsbml, re.sub(r"\W", "_", model.name), title)
    for comp in model.compartments:
        c = w.sb.createCompartment()
        c.setId(comp.name), c.setSize(1.0), c.setConstant(True), c.setSpatialDimensions(3)
        c.setUnits("dimensionless")
    at_start = [b for b in boluses if b.time == 0.0]
    for i, s in enumerate(model.species):
        sp = w.sb.createSpecies()
        sp.setId(s.name), sp.setCompartment(s.compartment), sp.setHasOnlySubstanceUnits(True)
        sp.setInitialAmount(float(y0[i]) + sum(b.value for b in at_start if b.species == s.name))
        sp.setBoundaryCondition(False), sp.setConstant(False), sp.setSubstanceUnits(w.units.id_for(s.unit))
        _initial_assignment(w, s, float(y0[i]), [b.amount for b in at_start if b.species == s.name])
    for name, param in params.items():
        w.parameter(name, param.value, param.unit)
    w.parameter("day_offset", start, "day")
    for extra in extras:
        w.parameter(extra.id, extra.value, extra.unit)
    for name in compiled.rule_names:
        w.parameter(name, 0.0, compiled.rule_units[name], constant=False)
        w.assignment(name, to_infix(compiled.checked_rules[name].code))
    species = set(model.species_names)
    for proc, checked in compiled.checked_processes:
        _reaction(w, proc, to_infix(checked.code), sorted((checked.names & species) - set(proc.changes)))
    if lineage is not None:
        seeded = model.colonisation.species
        _lineage(w, model, compiled, next(b.amount for b in boluses if b.species == seeded and b.time == lineage))
    _events(w, [b for b in boluses if b.time != 0.0], lineage, start)
    w.write_functions()
    return libsbml.writeSBMLToString(w.doc)


def _check_ids(model: Model, extras: list[Extra]) -> None:
    names = {*model.species_names, *model.parameters, *(r.name for r in model.rules), *(c.name for c in model.compartments)}
    clash = sorted(names & (ADDED_IDS | {e.id for e in extras}))
    if clash:
        raise SpecError(f"model name {clash[0]!r} is an id the SBML export adds ({', '.join(sorted(ADDED_IDS))}); "
                        "rename it in the model")


def _initial_assignment(w: "_Writer", s, base: float, amounts: list[str]) -> None:
    """An initial assignment where a parameter gives the initial value or a dose is symbolic."""
    terms = [s.initial] if isinstance(s.initial, str) else ([repr(base)] if base else [])
    terms += [f"({a})" for a in amounts]
    if any(not _is_number(t.strip("()")) for t in terms):
        ia = w.sb.createInitialAssignment()
        ia.setSymbol(s.name)
        ia.setMath(w.math(" + ".join(terms)))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _reaction(w: "_Writer", proc, formula: str, modifiers: list[str]) -> None:
    r = w.sb.createReaction()
    r.setId(f"r_{proc.name}"), r.setName(proc.description or proc.name), r.setReversible(False)
    for species, coef in proc.changes.items():
        ref = r.createReactant() if coef < 0 else r.createProduct()
        ref.setSpecies(species), ref.setStoichiometry(abs(float(coef))), ref.setConstant(True)
    for species in modifiers:
        r.createModifier().setSpecies(species)
    r.createKineticLaw().setMath(w.math(formula))


def _lineage(w: "_Writer", model: Model, compiled, arrested: str) -> None:
    """Kendall's lineage statistics as rate rules, and the expected visible-nodule count."""
    col = model.colonisation
    per_day = parse_unit("1/day")
    birth, death = (_in_unit(rule, compiled.rule_units[rule], per_day) for rule in (col.birth_rule, col.death_rule))
    w.parameter(RHO, 0.0, "1", constant=False)
    w.parameter(G, 0.0, "1", constant=False)
    w.rate(RHO, f"{death} - {birth}")
    w.rate(G, f"{birth} + ({birth} - {death}) * {G}")
    w.parameter(VISIBLE, 0.0, "1", constant=False)
    w.assignment(VISIBLE, f"({arrested}) * exp(-{RHO}) / (1 + {G}) * spow({G} / (1 + {G}), {col.visible_parameter} - 1)")


def _in_unit(name: str, unit: str, target) -> str:
    factor = parse_unit(unit).factor_to(target)
    return name if factor == 1.0 else f"({name} * {factor!r})"


def _events(w: "_Writer", boluses: list[Bolus], lineage: float | None, start: float) -> None:
    """One event per dose time (fixed, SBML time); amounts to one species at one time are summed.
    The injection's event also restarts the lineage statistics."""
    by_time: dict[float, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for b in boluses:
        by_time[b.time][b.species].append(b.amount)
    for k, (t, amounts) in enumerate(sorted(by_time.items())):
        ev = w.sb.createEvent()
        ev.setId(f"dose_{k}"), ev.setName(f"doses on day {t + start:g}")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False), trig.setPersistent(True)
        trig.setMath(w.math(f"time >= {t!r}"))
        for species, terms in amounts.items():
            w.event_assignment(ev, species, " + ".join([species, *(f"({a})" for a in terms)]))
        if lineage == t:
            w.event_assignment(ev, RHO, "0")
            w.event_assignment(ev, G, "0")


class _Writer:
    """The SBML document under construction: ids, math, and the function definitions used."""

    def __init__(self, libsbml, model_id: str, title: str):
        self.libsbml = libsbml
        self.doc = libsbml.SBMLDocument(3, 2)
        self.sb = self.doc.createModel()
        self.sb.setId(model_id), self.sb.setName(title)
        self.units = _UnitTable(libsbml, self.sb)
        self.sb.setTimeUnits(self.units.id_for("day"))
        self.used: set[str] = set()

    def math(self, formula: str):
        node = self.libsbml.parseL3Formula(formula)
        if node is None:
            raise ImmunometError(f"cannot write {formula!r} as SBML math: {self.libsbml.getLastParseL3Error()}")
        self.used.update(functions_used(formula))
        return node

    def parameter(self, pid: str, value: float, unit: str, constant: bool = True) -> None:
        p = self.sb.createParameter()
        p.setId(pid), p.setValue(float(value)), p.setConstant(constant), p.setUnits(self.units.id_for(unit))

    def assignment(self, variable: str, formula: str) -> None:
        rule = self.sb.createAssignmentRule()
        rule.setVariable(variable), rule.setMath(self.math(formula))

    def rate(self, variable: str, formula: str) -> None:
        rule = self.sb.createRateRule()
        rule.setVariable(variable), rule.setMath(self.math(formula))

    def event_assignment(self, event, variable: str, formula: str) -> None:
        ea = event.createEventAssignment()
        ea.setVariable(variable), ea.setMath(self.math(formula))

    def write_functions(self) -> None:
        for fid, formula in FUNCTIONS.items():
            if fid in self.used:
                fd = self.sb.createFunctionDefinition()
                fd.setId(fid), fd.setMath(self.libsbml.parseL3Formula(formula))


class _UnitTable:
    """SBML unit definitions for immunomet unit strings, created on first use.

    An SBML unit is (multiplier x kind)^exponent. immunomet's unit is ``scale`` x the product of
    its base units (day, cell, g, L, mol); each base unit is written in its SBML kind (a day is
    86400 s) and ``scale`` goes into the first unit's multiplier.
    """

    def __init__(self, libsbml, sb):
        self.libsbml, self.sb, self.ids = libsbml, sb, {}

    def id_for(self, text: str) -> str:
        unit = parse_unit(text)
        if unit.dimensionless and unit.scale == 1.0:
            return "dimensionless"
        if text not in self.ids:
            uid = "u_" + re.sub(r"\W", "_", text.replace("/", "_per_"))
            ud = self.sb.createUnitDefinition()
            ud.setId(uid)
            parts = [(dim, exp) for dim, exp in zip(BASE_DIMENSIONS, unit.dims) if exp]
            if not parts:
                self._unit(ud, "dimensionless", 1, unit.scale)
            for k, (dim, exp) in enumerate(parts):
                kind, base = _KINDS[dim]
                scale = unit.scale ** (1.0 / exp) if k == 0 else 1.0
                self._unit(ud, kind, exp, base * scale)
            self.ids[text] = uid
        return self.ids[text]

    def _unit(self, ud, kind: str, exponent: int, multiplier: float) -> None:
        u = ud.createUnit()
        u.setKind(getattr(self.libsbml, f"UNIT_KIND_{kind.upper()}"))
        u.setExponent(exponent), u.setScale(0), u.setMultiplier(multiplier)
