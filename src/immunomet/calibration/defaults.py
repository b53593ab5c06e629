"""Write a calibration's result into a model's parameter table (``models/data/*_parameters.yaml``):
each estimated parameter's value becomes its posterior median and its source says so; each
candidate the targets could not inform keeps its value and its source says why it was fixed.

The tables hold one flow mapping per line (``name: {value: ..., unit: ..., ...}``, indented in the
patient table's overrides); only the lines of the named parameters are rewritten, so comments and
layout stay as they are.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

CALIBRATED = "calibrated: posterior median"
FIXED = "fixed: not identifiable from the calibration targets"
_PRIOR_BASIS = "; prior basis: "


def original_source(source: str) -> str:
    """The source before any calibration note (what the prior rests on)."""
    if _PRIOR_BASIS in source:
        return source.split(_PRIOR_BASIS, 1)[1]
    return source


def calibrated_source(previous: str, note: str, summary: str = "posterior median") -> str:
    """The source of a calibrated value: which summary of the posterior it is, how it was got, and
    what its prior rests on."""
    return f"calibrated: {summary} ({note}){_PRIOR_BASIS}{original_source(previous)}"


def fixed_source(previous: str, note: str) -> str:
    return f"{FIXED} ({note}){_PRIOR_BASIS}{original_source(previous)}"


def rewrite_parameters(path: str | Path, values: dict[str, float], sources: dict[str, str]) -> list[str]:
    """Set ``values`` and ``sources`` of the named parameters in the table at ``path``; returns the
    names changed. A name the table lacks raises KeyError."""
    path = Path(path)
    lines = path.read_text().splitlines(keepends=True)
    wanted = set(values) | set(sources)
    done = []
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z_][A-Za-z0-9_]*):\s*\{", line)
        if not match or match.group(2) not in wanted:
            continue
        indent, name = match.group(1), match.group(2)
        entry = yaml.safe_load(line.strip())[name]
        if name in values:
            entry["value"] = _round(values[name])
        if name in sources:
            entry["source"] = sources[name]
        lines[i] = f"{indent}{name}: {_flow(entry)}\n"
        done.append(name)
    missing = wanted - set(done)
    if missing:
        raise KeyError(f"{path.name}: no parameter line for {', '.join(sorted(missing))}")
    path.write_text("".join(lines))
    return done


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _flow(entry: dict) -> str:
    """One YAML flow mapping: strings JSON-quoted where needed (YAML reads JSON strings)."""
    parts = []
    for key, value in entry.items():
        parts.append(f"{key}: {_scalar(value)}")
    return "{" + ", ".join(parts) + "}"


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    text = str(value)
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9 _/.()-]*", text) and yaml.safe_load(text) == text
    return text if plain else json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value)) if isinstance(value, int) else repr(float(value))
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        return f"{mantissa}e{int(exponent)}"
    return text
