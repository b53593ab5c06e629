"""Unit-check a Model and generate its numpy right-hand side and rule evaluator.

The generated functions work on one animal (``y`` of shape (n_species,)) or on a batch
(``y`` of shape (n_species, n_animals) with ``p`` of shape (n_parameters, n_animals)).
"""
from __future__ import annotations

import keyword
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SpecError, UnitError
from ..units import parse_unit
from .expressions import CheckedExpression, check_expression, referenced_names, units_lookup

if TYPE_CHECKING:
    from .model import Model
    from .parameters import ParameterSet

RESERVED = {"t", "y", "p", "np", "dy", "_hill", "_occupancy", "exp", "log", "hill", "occupancy"}
TIME_UNIT = parse_unit("day")


def _hill(x, k, n):
    x = np.maximum(x, 0.0)
    xn = x**n
    return xn / (k**n + xn)


def _occupancy(c, kd):
    c = np.maximum(c, 0.0)
    return c / (c + kd)


class CompiledModel:
    """Checked units, index maps and generated code for one model structure."""

    def __init__(self, model: "Model"):
        self.species_names = model.species_names
        self.parameter_names = tuple(model.parameters)
        self.species_index = {n: i for i, n in enumerate(self.species_names)}
        self.parameter_index = {n: i for i, n in enumerate(self.parameter_names)}
        self._check_names(model)
        self.rule_names = _rule_order(model)
        self.rule_units = {r.name: r.unit for r in model.rules}
        self.checked_rules, self.checked_processes = _check_units(model, self.rule_names)
        self._initial = [s.initial for s in model.species]
        cell = parse_unit("cell")
        self.cell_species = np.array([parse_unit(s.unit).same_dimension(cell) for s in model.species])
        self.source = _generate_source(self)
        namespace: dict = {"np": np, "_hill": _hill, "_occupancy": _occupancy}
        exec(compile(self.source, f"<immunomet {model.name}>", "exec"), namespace)
        self.rhs = namespace["rhs"]
        self.rules = namespace["rules"]
        self._subsets: dict = {}

    def _check_names(self, model: "Model") -> None:
        seen: dict[str, str] = {}
        groups = [("species", self.species_names), ("parameter", self.parameter_names),
                  ("rule", [r.name for r in model.rules])]
        for kind, names in groups:
            for name in names:
                if not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED:
                    raise SpecError(f"{kind} name {name!r} is not allowed (must be an identifier, not {sorted(RESERVED)})")
                if name in seen:
                    raise SpecError(f"name {name!r} is used by a {seen[name]} and a {kind}")
                seen[name] = kind
        for s in model.species:
            if isinstance(s.initial, str) and s.initial not in self.parameter_index:
                raise SpecError(f"species {s.name!r}: initial value names unknown parameter {s.initial!r}")

    def parameter_vector(self, parameters: "ParameterSet") -> np.ndarray:
        if tuple(parameters) != self.parameter_names:
            missing = set(self.parameter_names) ^ set(parameters)
            raise SpecError(f"parameter set does not fit this model: {sorted(missing)[:5]}")
        return np.array([parameters[n].value for n in self.parameter_names], dtype=float)

    def initial_state(self, p: np.ndarray) -> np.ndarray:
        """Initial species values; ``p`` is one parameter vector or a (n_params, n) batch."""
        p = np.asarray(p, dtype=float)
        shape = (len(self._initial),) + p.shape[1:]
        y0 = np.zeros(shape)
        for i, init in enumerate(self._initial):
            y0[i] = p[self.parameter_index[init]] if isinstance(init, str) else init
        return y0

    def rule_values(self, t, y, p, names=None) -> dict[str, np.ndarray]:
        """Rule values at states ``y`` (species first) with parameters ``p``: every rule, or only
        ``names`` (then only the rules they need are computed)."""
        if names is None:
            return dict(zip(self.rule_names, self.rules(t, y, p)))
        return self._rule_subset(frozenset(names))(t, y, p)

    def rule_closure(self, names) -> list[str]:
        """The rules ``names`` need, transitively, in evaluation order."""
        need: set[str] = set()
        stack = [n for n in names if n in self.checked_rules]
        while stack:
            rule = stack.pop()
            if rule not in need:
                need.add(rule)
                stack += [n for n in self.checked_rules[rule].names if n in self.checked_rules]
        return [r for r in self.rule_names if r in need]

    def _rule_subset(self, names: frozenset):
        hit = self._subsets.get(names)
        if hit is None:
            unknown = sorted(names - set(self.rule_names))
            if unknown:
                raise SpecError(f"unknown rule {unknown[0]!r}")
            source = _subset_source(self, self.rule_closure(names), sorted(names))
            namespace: dict = {"np": np, "_hill": _hill, "_occupancy": _occupancy}
            exec(compile(source, "<immunomet rules>", "exec"), namespace)
            hit = self._subsets[names] = namespace["rules"]
        return hit


def _rule_order(model: "Model") -> tuple[str, ...]:
    rule_names = {r.name for r in model.rules}
    graph = {r.name: referenced_names(r.expression) & rule_names for r in model.rules}
    try:
        return tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise SpecError(f"rules refer to each other in a cycle: {' -> '.join(exc.args[1])}") from None


def _check_units(model: "Model", rule_order) -> tuple[dict[str, CheckedExpression], list]:
    tables = {
        "species": {s.name: parse_unit(s.unit) for s in model.species},
        "parameters": {n: p.unit_object for n, p in model.parameters.items()},
        "rules": {r.name: parse_unit(r.unit) for r in model.rules},
        "time": {"t": TIME_UNIT},
    }
    rules = {r.name: r for r in model.rules}
    checked_rules = {}
    for name in rule_order:
        rule = rules[name]
        where = f"rule {name!r}"
        checked_rules[name] = check_expression(
            rule.expression, units_lookup(tables, where), where, parse_unit(rule.unit))
    checked_processes = []
    for proc in model.processes:
        where = f"process {proc.name!r}"
        for species in proc.changes:
            if species not in tables["species"]:
                raise SpecError(f"{where}: changes unknown species {species!r}")
        units = {tables["species"][s] for s in proc.changes}
        first = tables["species"][next(iter(proc.changes))]
        if any(u.dims != first.dims or abs(u.scale / first.scale - 1) > 1e-12 for u in units):
            raise UnitError(f"{where}: changes species with different units {sorted(str(u) for u in units)}")
        target = first / TIME_UNIT
        checked_processes.append((proc, check_expression(proc.rate, units_lookup(tables, where), where, target)))
    return checked_rules, checked_processes


def _generate_source(cm: CompiledModel) -> str:
    body = []
    for name, i in cm.species_index.items():
        body.append(f"    {name} = np.maximum(y[{i}], 0.0)")
    for name, i in cm.parameter_index.items():
        body.append(f"    {name} = p[{i}]")
    for name in cm.rule_names:
        body.append(f"    {name} = {cm.checked_rules[name].code}")
    rhs = ["def rhs(t, y, p):", *body, "    dy = np.zeros_like(y, dtype=float)"]
    for k, (proc, checked) in enumerate(cm.checked_processes):
        rhs.append(f"    v{k} = {checked.code}  # {proc.name}")
        for species, coef in proc.changes.items():
            rhs.append(f"    dy[{cm.species_index[species]}] += {float(coef)!r} * v{k}")
    rhs.append("    return dy")
    rules = ["def rules(t, y, p):", *body, f"    return ({', '.join(cm.rule_names)}{',' if len(cm.rule_names) == 1 else ''})"]
    return "\n".join(rhs) + "\n\n" + "\n".join(rules) + "\n"


def _subset_source(cm: CompiledModel, rules: list[str], wanted: list[str]) -> str:
    used = set(wanted) | {n for r in rules for n in cm.checked_rules[r].names}
    body = [f"    {s} = np.maximum(y[{i}], 0.0)" for s, i in cm.species_index.items() if s in used]
    body += [f"    {q} = p[{i}]" for q, i in cm.parameter_index.items() if q in used]
    body += [f"    {r} = {cm.checked_rules[r].code}" for r in rules]
    return "def rules(t, y, p):\n" + "\n".join(body) + "\n    return {" + ", ".join(f"{n!r}: {n}" for n in wanted) + "}\n"
