"""Human-readable text of a model: species, rules, processes, parameters with sources, agents."""
from __future__ import annotations

import textwrap

from .model import Model
from .expressions import referenced_names


def describe_model(model: Model, section: str = "all") -> str:
    blocks = {
        "species": _species, "rules": _rules, "processes": _processes,
        "parameters": _parameters, "agents": _agents,
    }
    chosen = blocks if section == "all" else {section: blocks[section]}
    head = (f"{model.name} ({model.hash}): {model.description}\n"
            f"{len(model.species)} species, {len(model.processes)} processes, {len(model.rules)} rules, "
            f"{len(model.parameters)} parameters ({sum(p.assumed for p in model.parameters.values_objects())} assumed)")
    return "\n\n".join([head, *(f(model) for f in chosen.values())])


def _species(model: Model) -> str:
    rows = [f"  {s.name:<20} {s.compartment:<11} {s.unit:<7} {s.description}" for s in model.species]
    return "SPECIES (name, compartment, unit)\n" + "\n".join(rows)


def _rules(model: Model) -> str:
    rows = [f"  {r.name} [{r.unit}] = {r.expression}" for r in model.rules]
    return "RULES (derived quantities)\n" + "\n".join(rows)


def parameters_used(model: Model, expression: str) -> list[str]:
    """Parameters an expression uses, directly or through the rules it refers to."""
    rules = {r.name: r.expression for r in model.rules}
    seen, stack = set(), list(referenced_names(expression))
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(referenced_names(rules[name]) if name in rules else ())
    return sorted(seen & set(model.parameters))


def _processes(model: Model) -> str:
    rows = []
    for p in model.processes:
        used = parameters_used(model, p.rate)
        rows.append(f"  {p.name}: {p.reaction_text()}\n      rate = {p.rate}\n"
                    f"      parameters: {', '.join(used) or '-'}\n      {p.description}")
    return "PROCESSES (rates in species unit per day)\n" + "\n".join(rows)


def _parameters(model: Model) -> str:
    rows = []
    for name, p in model.parameters.items():
        source = textwrap.fill(p.source, 100, initial_indent="      source: ", subsequent_indent="              ")
        rows.append(f"  {name} = {p.value:g} {p.unit}   prior [{p.prior[0]:g}, {p.prior[1]:g}]   {p.description}\n{source}")
    return "PARAMETERS\n" + "\n".join(rows)


def _agents(model: Model) -> str:
    rows = [f"  {a.name:<12} {a.kind:<9} target {a.target:<7} routes {', '.join(a.routes)}  {a.description}"
            for a in model.agents]
    rows += [f"  genotype {g.name:<8} edits {dict(g.edits) or '-'}  {g.description}" for g in model.genotypes]
    return "AGENTS AND GENOTYPES\n" + "\n".join(rows)


def parameter_table_markdown(model: Model) -> str:
    """The model's parameters as a Markdown table: value, unit, prior, varies, source, description."""
    head = ["| parameter | value | unit | prior | varies | description | source |", "|---|---|---|---|---|---|---|"]
    rows = [f"| `{n}` | {p.value:.4g} | {p.unit} | {p.prior[0]:.4g} - {p.prior[1]:.4g} | {'yes' if p.varies else 'no'} "
            f"| {_cell(p.description)} | {_cell(p.source)} |" for n, p in model.parameters.items()]
    counts = _origin_counts(model)
    summary = (f"{len(model.parameters)} parameters: {counts['literature']} from the literature, "
               f"{counts['assumed']} assumed (the reason is given), {counts['calibrated']} calibrated, "
               f"{counts['switch']} switches.")
    return "\n".join([summary, "", *head, *rows]) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _origin_counts(model: Model) -> dict[str, int]:
    out = {"literature": 0, "assumed": 0, "calibrated": 0, "switch": 0}
    for p in model.parameters.values_objects():
        source = p.source.lower()
        kind = ("calibrated" if source.startswith("calibrated") else "assumed" if p.assumed else
                "switch" if source.startswith(("switch", "genotype switch")) else "literature")
        out[kind] += 1
    return out
