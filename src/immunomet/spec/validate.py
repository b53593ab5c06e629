"""Lint a model: returns issues with severities instead of raising (libpetab-style).

Errors (unit mismatches, unknown names, cycles) come from building the model; warnings are
things a modeller should look at: species no process changes, parameters nothing uses,
values at the edge of their prior.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecError
from .expressions import referenced_names
from .model import Model


@dataclass(frozen=True)
class LintIssue:
    severity: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def lint(model: Model) -> list[LintIssue]:
    issues: list[LintIssue] = []
    try:
        model.compile()
    except SpecError as exc:
        return [LintIssue("error", "model", str(exc))]
    changed = {s for p in model.processes for s in p.changes}
    for s in model.species:
        if s.name not in changed:
            issues.append(LintIssue("warning", f"species {s.name!r}", "no process changes it"))
    used = set()
    for p in model.processes:
        used |= referenced_names(p.rate)
    for r in model.rules:
        used |= referenced_names(r.expression)
    used |= {s.initial for s in model.species if isinstance(s.initial, str)}
    used |= {k for g in model.genotypes for k in g.edits}
    if model.colonisation:
        col = model.colonisation
        used |= {col.arrest_parameter, col.visible_parameter, col.local_take_parameter} - {""}
    switches = {k for g in model.genotypes for k in g.edits}
    if model.colonisation and model.colonisation.site_parameter:
        switches.add(model.colonisation.site_parameter)  # set by the injection route
    for name, p in model.parameters.items():
        if name not in used:
            issues.append(LintIssue("warning", f"parameter {name!r}", "not used by any process or rule"))
        low, high = p.prior
        if low < high and p.value in (low, high) and name not in switches:
            issues.append(LintIssue("warning", f"parameter {name!r}", f"value {p.value:g} sits on its prior bound"))
    return issues
