"""Parameter-only parts of the rate laws, computed once per animal instead of at every RHS call.

A rule whose expression reads parameters only (e.g. ``V_plasma = vplasma_per_kg * body_weight *
1000``) is *static*; so is every sub-expression of a rate law that reads parameters and static
rules only (e.g. ``(CL_acd8 * body_weight) / V_plasma``, or ``K_pd1 ** n_pd1`` inside
``hill(pdl1, K_pd1, n_pd1)``). The generated ``derive(p, out)`` evaluates them into slots after the
parameters; ``rhs`` and ``selected`` read the slots. The checked expressions are fully
parenthesised, so a replaced sub-tree is evaluated with the same operations in the same order:
the answers are bit for bit those of the unhoisted code. This removes about half of the RHS's
divisions and a ``pow``.
"""
from __future__ import annotations

import ast

_PURE_CALLS = {"_hill", "_occupancy", "math.exp", "math.log"}


class StaticSplit:
    """Static rules and sub-expressions of one model, named and ordered for ``derive``."""

    def __init__(self, compiled, scalar_code):
        self.parameter_names = tuple(compiled.parameter_names)
        self.n_params = len(self.parameter_names)
        self.static_names = set(self.parameter_names)
        self.slots: dict[str, str] = {}  # name -> code, in evaluation order
        self._by_code: dict[str, str] = {}
        for rule in compiled.rule_names:
            checked = compiled.checked_rules[rule]
            if checked.names <= self.static_names:
                self.static_names.add(rule)
                self.slots[rule] = scalar_code(checked.code)

    def slot_index(self, name: str) -> int:
        return self.n_params + list(self.slots).index(name)

    def dynamic(self, code: str) -> str:
        """``code`` with its maximal static sub-expressions replaced by slot names."""
        tree = _Hoister(self).visit(ast.parse(code, mode="eval"))
        return ast.unparse(tree)

    def slot_for(self, node: ast.expr) -> str:
        code = ast.unparse(node)
        if code not in self._by_code:
            name = f"_static{len(self._by_code)}"
            self._by_code[code] = name
            self.slots[name] = code
        return self._by_code[code]

    def is_static(self, node: ast.expr) -> bool:
        """Reads parameters and static rules only, through pure functions."""
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
        if any(ast.unparse(c.func) not in _PURE_CALLS for c in calls):
            return False
        functions = {id(n) for c in calls for n in ast.walk(c.func)}
        return all(n.id in self.static_names for n in ast.walk(node)
                   if isinstance(n, ast.Name) and id(n) not in functions)

    def derive_source(self) -> str:
        """Numba source of ``derive(p, out)``: ``out`` = the parameters, then the static slots."""
        lines = ["@kernel", "def derive(p, out):", "    for i in range(p.shape[0]):", "        out[i] = p[i]"]
        used = set().union(*(names_in(code) for code in self.slots.values())) if self.slots else set()
        lines += [f"    {q} = p[{i}]" for i, q in enumerate(self.parameter_names) if q in used]
        for name, code in self.slots.items():
            lines.append(f"    {name} = {code}")
            lines.append(f"    out[{self.slot_index(name)}] = {name}")
        return "\n".join(lines) + "\n"

    @property
    def width(self) -> int:
        """Length of a parameter row with its static slots."""
        return self.n_params + len(self.slots)


def names_in(code: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(code, mode="eval")) if isinstance(n, ast.Name)}


class _Hoister(ast.NodeTransformer):
    def __init__(self, split: StaticSplit):
        self.split = split

    def generic_visit(self, node):
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant)) \
                and self.split.is_static(node):
            return ast.Name(self.split.slot_for(node), ast.Load())
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "_hill":
            return self._hill(node)
        return super().generic_visit(node)

    def _hill(self, node: ast.Call) -> ast.expr:
        """``_hill(x, k, n)`` with static k and n: ``_hill_kn(x, k ** n, n)``, k ** n a slot."""
        x, k, n = node.args
        if not (self.split.is_static(k) and self.split.is_static(n)):
            return super().generic_visit(node)
        kn = ast.Name(self.split.slot_for(ast.BinOp(k, ast.Pow(), n)), ast.Load())
        return ast.Call(ast.Name("_hill_kn", ast.Load()), [self.visit(x), kn, self.visit(n)], [])
