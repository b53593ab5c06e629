"""Rate-law expressions: parsed, unit-checked and turned into numpy source code.

An expression is a Python-syntax string over species, parameters, rules and ``t`` with the
operators ``+ - * / **`` and the functions below. Checking an expression returns its unit and a
rewritten source in which every needed scale conversion (e.g. hours to days) is an explicit
factor, so the generated code works in each quantity's declared unit.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Mapping

from ..errors import UnitError, UnknownNameError
from ..units import DIMENSIONLESS, Unit

# function name -> (numpy source template, number of arguments)
FUNCTIONS: dict[str, tuple[str, int]] = {
    "exp": ("np.exp({0})", 1),
    "log": ("np.log({0})", 1),
    "hill": ("_hill({0}, {1}, {2})", 3),  # x^n / (K^n + x^n), x >= 0
    "occupancy": ("_occupancy({0}, {1})", 2),  # C / (C + Kd)
}

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


@dataclass(frozen=True)
class CheckedExpression:
    """An expression after unit inference: its unit, source code and the names it uses."""

    text: str
    unit: Unit
    code: str
    names: frozenset[str]


def parse_expression(text: str) -> ast.expr:
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise UnitError(f"cannot parse expression {text!r}: {exc.msg}") from None


def referenced_names(text: str) -> set[str]:
    """Names (species, parameters, rules, ``t``) an expression refers to, functions excluded."""
    tree = parse_expression(text)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names.discard(node.func.id)
    return names


class _Checker:
    def __init__(self, units_of: Callable[[str], Unit], where: str):
        self.units_of = units_of
        self.where = where
        self.names: set[str] = set()

    def fail(self, message: str) -> UnitError:
        return UnitError(f"{self.where}: {message}")

    def convert(self, code: str, unit: Unit, target: Unit, what: str) -> str:
        if not unit.same_dimension(target):
            raise self.fail(f"{what}: {unit.describe_dims()} does not match {target.describe_dims()}")
        factor = unit.factor_to(target)
        return code if abs(factor - 1.0) < 1e-12 else f"({code} * {factor!r})"

    def visit(self, node: ast.expr) -> tuple[str, Unit]:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return repr(float(node.value)), DIMENSIONLESS
        if isinstance(node, ast.Name):
            self.names.add(node.id)
            return node.id, self.units_of(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            code, unit = self.visit(node.operand)
            return (f"(-{code})" if isinstance(node.op, ast.USub) else code), unit
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return self.binop(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node)
        raise self.fail(f"unsupported syntax {ast.unparse(node)!r}")

    def binop(self, node: ast.BinOp) -> tuple[str, Unit]:
        op = _BINOPS[type(node.op)]
        left, lu = self.visit(node.left)
        if op == "**":
            return self.power(node, left, lu)
        right, ru = self.visit(node.right)
        if op in "+-":
            right = self.convert(right, ru, lu, f"terms of {ast.unparse(node)!r}")
            return f"({left} {op} {right})", lu
        unit = lu * ru if op == "*" else lu / ru
        return f"({left} {op} {right})", unit

    def power(self, node: ast.BinOp, base: str, unit: Unit) -> tuple[str, Unit]:
        exponent, eu = self.visit(node.right)
        if not eu.dimensionless:
            raise self.fail(f"exponent of {ast.unparse(node)!r} must be dimensionless")
        if unit.dimensionless:
            return f"({base} ** {exponent})", DIMENSIONLESS
        if not (isinstance(node.right, ast.Constant) and float(node.right.value).is_integer()):
            raise self.fail(f"{ast.unparse(node)!r}: a quantity with units needs an integer exponent")
        return f"({base} ** {exponent})", unit ** int(node.right.value)

    def call(self, node: ast.Call) -> tuple[str, Unit]:
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(f"unknown function {name!r}; allowed: {', '.join(FUNCTIONS)}")
        template, arity = FUNCTIONS[name]
        if len(node.args) != arity or node.keywords:
            raise self.fail(f"{name}() takes {arity} positional arguments")
        args = [self.visit(a) for a in node.args]
        if name in ("exp", "log"):
            if not args[0][1].dimensionless:
                raise self.fail(f"{name}() needs a dimensionless argument in {ast.unparse(node)!r}")
            return template.format(args[0][0]), DIMENSIONLESS
        (x, xu), (k, ku) = args[0], args[1]
        k = self.convert(k, ku, xu, f"{name}() arguments in {ast.unparse(node)!r}")
        if name == "hill" and not args[2][1].dimensionless:
            raise self.fail(f"hill() exponent must be dimensionless in {ast.unparse(node)!r}")
        return template.format(x, k, *(a[0] for a in args[2:])), DIMENSIONLESS


def check_expression(
    text: str, units_of: Callable[[str], Unit], where: str, target: Unit | None = None
) -> CheckedExpression:
    """Infer the unit of ``text``; if ``target`` is given, convert to it or raise UnitError."""
    checker = _Checker(units_of, where)
    code, unit = checker.visit(parse_expression(text))
    if target is not None:
        if not unit.same_dimension(target):
            raise UnitError(
                f"{where}: rate law {text!r} has units of {unit.describe_dims()} "
                f"but must have {target.describe_dims()} ({target})"
            )
        code, unit = checker.convert(code, unit, target, "result"), target
    return CheckedExpression(text, unit, code, frozenset(checker.names))


def units_lookup(tables: Mapping[str, Mapping[str, Unit]], where: str) -> Callable[[str], Unit]:
    """Resolve a name through several tables (species, parameters, rules, ...)."""

    def units_of(name: str) -> Unit:
        for table in tables.values():
            if name in table:
                return table[name]
        raise UnknownNameError(f"{where}: unknown name {name!r} (not a species, parameter or rule)")

    return units_of
