"""immunomet's generated numpy expressions as SBML L3 infix, in forms every ODE tool can differentiate.

immunomet evaluates ``hill`` and ``occupancy`` on species clamped at zero (``np.maximum(y, 0)``)
and ``x ** n`` directly. Written that way in SBML, two things go wrong in tools that build a
symbolic Jacobian (AMICI with CVODES): a ``piecewise`` guard becomes a root function, which never
fires for a species that starts at 0, and ``x^n`` with a non-integer or symbolic ``n`` has the
derivative ``n x^n / x``, NaN at ``x = 0`` (e.g. the kill term ``ratio_kill^l_kill`` at t = 0).
So the export writes:

- ``x ** k`` with an integer literal ``k`` as ``x^k`` (a polynomial: smooth);
- any other power as ``spow(x, n) = x (x^2 + e^2)^((n - 1)/2)`` with ``e = POWER_OFFSET``. This
  is smooth for every real ``x`` (odd in ``x``, so a species a solver drives slightly negative
  gives a slightly negative rate, not NaN), 0 at ``x = 0`` with the finite slope ``e^(n-1)``,
  and equals ``x^n`` to a relative ``|n - 1|/2 (e/x)^2`` for ``|x| >> e``;
- ``hill(x, K, k)`` with an integer literal ``k`` as ``x^k / (K^k + x^k)`` (for ``k = 1``:
  ``x / (K + x)``), other exponents through ``spow`` (``hill_smooth``);
- ``occupancy(C, Kd)`` as ``C / (C + Kd)``.

No ``piecewise``, ``max`` or ``abs`` is written, so the model has no discontinuity apart from the
dose events.
"""
from __future__ import annotations

import ast
import re

from ..errors import ImmunometError

POWER_OFFSET = 1e-16  # e in spow; effect on results: docs/engines.md "SBML export"
_E2 = repr(POWER_OFFSET**2)
_SPOW = f"x * (x^2 + {_E2})^((n - 1) / 2)"
FUNCTIONS = {
    "spow": f"lambda(x, n, {_SPOW})",
    "hill": "lambda(x, K, n, x^n / (K^n + x^n))",
    "hill_smooth": f"lambda(x, K, n, {_SPOW} / (K^n + {_SPOW}))",
    "occupancy": "lambda(C, Kd, C / (C + Kd))",
}
_CALLS = {"np.exp": "exp", "np.log": "ln", "_occupancy": "occupancy"}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def to_infix(code: str) -> str:
    """immunomet's generated numpy expression -> SBML L3 infix (functions from ``FUNCTIONS``)."""
    return _infix(ast.parse(code, mode="eval").body)


def functions_used(formula: str) -> list[str]:
    """The ``FUNCTIONS`` an infix formula calls."""
    return [name for name in FUNCTIONS if re.search(rf"\b{name}\s*\(", formula)]


def _integer(node: ast.expr) -> int | None:
    """The value of an integer literal (``2``, ``2.0``, ``-1.0``), else None."""
    try:
        value = float(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError):
        return None
    return int(value) if value.is_integer() else None


def _infix(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return repr(float(node.value))
    if isinstance(node, ast.Name):
        return "(time + day_offset)" if node.id == "t" else node.id
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"(-{_infix(node.operand)})"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        k = _integer(node.right)
        base = _infix(node.left)
        return f"({base}^{k})" if k is not None else f"spow({base}, {_infix(node.right)})"
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return f"({_infix(node.left)} {_OPS[type(node.op)]} {_infix(node.right)})"
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        args = [_infix(a) for a in node.args]
        if name == "_hill":
            k = _integer(node.args[2])
            return f"hill({args[0]}, {args[1]}, {k})" if k is not None else f"hill_smooth({', '.join(args)})"
        if name in _CALLS:
            return f"{_CALLS[name]}({', '.join(args)})"
    raise ImmunometError(f"cannot write {ast.unparse(node)!r} as SBML")
