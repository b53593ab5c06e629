"""Export a model and one protocol as SBML Level 3 Version 2 (needs the ``sbml`` extra).

What is written:
- every species as an amount (``hasOnlySubstanceUnits``) in a compartment of size 1, with its
  unit; initial values resolved for the protocol's genotype;
- every parameter with its value and unit (a unit definition per distinct unit; time in days);
- every rule as an assignment rule, every process as a reaction whose kinetic law is the
  unit-converted rate (the same scale factors immunomet's own code uses);
- ``hill`` and ``occupancy`` as function definitions (zero for a non-positive argument);
- every dose (cell injection, antibodies, adjuvant) as an event adding to its species.

SBML time starts at 0 when the protocol starts: day 0 (the injection) or the first dose if that is
earlier (e.g. anti-CD8 on day -1). The parameter ``day_offset`` holds that start day, so
``day = time + day_offset``; simulate from 0 to ``days - day_offset``.

Differences from immunomet's own right-hand side: immunomet clamps a species that a solver
drives below zero to zero inside rate laws; SBML has no such clamp (only ``hill`` and
``occupancy`` are guarded). With sensible tolerances species stay non-negative and results agree
(tests/reference/test_sbml_roadrunner.py).
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from ..errors import ImmunometError
from ..spec import Model, Protocol
from ..units import BASE_DIMENSIONS, parse_unit

_FUNCTIONS = {
    "hill": "lambda(x, K, n, piecewise(0, leq(x, 0), x^n / (K^n + x^n)))",
    "occupancy": "lambda(C, Kd, piecewise(0, leq(C, 0), C / (C + Kd)))",
}
_CALLS = {"np.exp": "exp", "np.log": "ln", "_hill": "hill", "_occupancy": "occupancy"}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
# immunomet base dimension -> (SBML unit kind, scale of immunomet's base unit in that kind)
_KINDS = {"time": ("second", 86400.0), "cell": ("item", 1.0), "mass": ("gram", 1.0),
          "volume": ("litre", 1.0), "amount": ("mole", 1.0)}


def _libsbml():
    try:
        import libsbml
    except ImportError:
        raise ImmunometError("SBML export needs python-libsbml: pip install 'immunomet[sbml]'") from None
    return libsbml


def to_infix(code: str) -> str:
    """immunomet's generated numpy expression -> SBML L3 infix."""
    return _infix(ast.parse(code, mode="eval").body)


def _infix(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return repr(float(node.value))
    if isinstance(node, ast.Name):
        return "(time + day_offset)" if node.id == "t" else node.id
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"(-{_infix(node.operand)})"
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return f"({_infix(node.left)} {_OPS[type(node.op)]} {_infix(node.right)})"
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        return f"{_CALLS[name]}({', '.join(_infix(a) for a in node.args)})"
    raise ImmunometError(f"cannot write {ast.unparse(node)!r} as SBML")


def sbml_document(model: Model, protocol: Protocol | None = None) -> str:
    """The SBML text of ``model`` under ``protocol`` (genotype edits, injection, doses)."""
    libsbml = _libsbml()
    protocol = protocol or Protocol()
    compiled = model.compile()
    params, doses = model.resolve(protocol)
    p = compiled.parameter_vector(params)
    y0 = compiled.initial_state(p)
    start = min([0.0, *(d.day for d in doses)])

    doc = libsbml.SBMLDocument(3, 2)
    sb = doc.createModel()
    sb.setId(re.sub(r"\W", "_", model.name))
    sb.setName(f"{model.name} ({model.hash}): {protocol.genotype}")
    units = _UnitTable(libsbml, sb)
    sb.setTimeUnits(units.id_for("day"))
    for fid, formula in _FUNCTIONS.items():
        fd = sb.createFunctionDefinition()
        fd.setId(fid)
        fd.setMath(_math(libsbml, formula))
    for comp in model.compartments:
        c = sb.createCompartment()
        c.setId(comp.name), c.setSize(1.0), c.setConstant(True), c.setSpatialDimensions(3)
        c.setUnits("dimensionless")
    for i, s in enumerate(model.species):
        sp = sb.createSpecies()
        sp.setId(s.name), sp.setCompartment(s.compartment), sp.setInitialAmount(float(y0[i]))
        sp.setHasOnlySubstanceUnits(True), sp.setBoundaryCondition(False), sp.setConstant(False)
        sp.setSubstanceUnits(units.id_for(s.unit))
    for name, param in params.items():
        sp = sb.createParameter()
        sp.setId(name), sp.setValue(param.value), sp.setConstant(True), sp.setUnits(units.id_for(param.unit))
    offset = sb.createParameter()
    offset.setId("day_offset"), offset.setValue(start), offset.setConstant(True), offset.setUnits(units.id_for("day"))
    for name in compiled.rule_names:
        rp = sb.createParameter()
        rp.setId(name), rp.setConstant(False), rp.setUnits(units.id_for(compiled.rule_units[name]))
        rule = sb.createAssignmentRule()
        rule.setVariable(name)
        rule.setMath(_math(libsbml, to_infix(compiled.checked_rules[name].code)))
    species = set(model.species_names)
    for proc, checked in compiled.checked_processes:
        _reaction(libsbml, sb, proc, to_infix(checked.code), sorted((checked.names & species) - set(proc.changes)))
    _dose_events(libsbml, sb, doses, protocol.days, start)
    return libsbml.writeSBMLToString(doc)


def write_sbml(model: Model, path: str | Path, protocol: Protocol | None = None) -> Path:
    path = Path(path)
    path.write_text(sbml_document(model, protocol))
    return path


def _reaction(libsbml, sb, proc, formula: str, modifiers: list[str]) -> None:
    r = sb.createReaction()
    r.setId(f"r_{proc.name}"), r.setName(proc.description or proc.name), r.setReversible(False)
    for species, coef in proc.changes.items():
        ref = r.createReactant() if coef < 0 else r.createProduct()
        ref.setSpecies(species), ref.setStoichiometry(abs(float(coef))), ref.setConstant(True)
    for species in modifiers:
        r.createModifier().setSpecies(species)
    law = r.createKineticLaw()
    law.setMath(_math(libsbml, formula))


def _dose_events(libsbml, sb, doses, days: float, start: float) -> None:
    """One event per dose day (SBML time = day - start); amounts to one species on one day are summed."""
    by_day: dict[float, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for d in doses:
        if d.day <= days:
            by_day[d.day][d.species] += d.amount
    for k, (day, amounts) in enumerate(sorted(by_day.items())):
        ev = sb.createEvent()
        ev.setId(f"dose_{k}"), ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False), trig.setPersistent(True)
        trig.setMath(_math(libsbml, f"time >= {day - start!r}"))
        for species, amount in amounts.items():
            ea = ev.createEventAssignment()
            ea.setVariable(species)
            ea.setMath(_math(libsbml, f"{species} + {amount!r}"))


def _math(libsbml, formula: str):
    ast_node = libsbml.parseL3Formula(formula)
    if ast_node is None:
        raise ImmunometError(f"cannot write {formula!r} as SBML math: {libsbml.getLastParseL3Error()}")
    return ast_node


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
