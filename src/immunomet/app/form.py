"""The study designer's form, without a web framework: field values -> study spec (the YAML the
CLI runs) -> plan, and each validation error placed beside the field it names.

A field's value is text as typed. ``check_form`` parses the numbers itself (so a half-typed
number is a message, not a traceback), builds the spec mapping, and validates it with the same
``parse_study`` and ``plan_study`` that ``immunomet run`` uses; their one-line ``SpecError`` names
a field path (``arms[1].treatments[0].agent: ...``), which ``field_of`` maps to the form field.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import yaml

from ..errors import ImmunometError
from ..studies import parse_study, plan_study

MAX_ARMS = 8
GENOTYPES = {"wt": "WT", "il6-ko": "Il6-/-"}
STUDY_FIELDS = ("name", "seed", "animals", "follow_up", "readout_days", "cells")
ARM_FIELDS = ("name", "genotype", "treatments")
SPEC_TO_FIELD = {"name": "name", "seed": "seed", "animals_per_arm": "animals", "follow_up": "follow_up",
                 "readout_days": "readout_days", "injection": "cells"}


@dataclass(frozen=True)
class ArmForm:
    name: str = ""
    genotype: str = "wt"
    treatments: str = ""   # one treatment per line, e.g. anti-pdl1:200ug@d8,d11


@dataclass(frozen=True)
class StudyForm:
    """What the designer holds: the study's fields as typed, and its arms."""

    name: str = "my-study"
    seed: str = "0"
    animals: str = "8"
    follow_up: str = "28"
    readout_days: str = "21"
    cells: str = "1e5"
    arms: tuple[ArmForm, ...] = (ArmForm("Il6-/- isotype", "il6-ko", "isotype:200ug@d8,d11"),
                                 ArmForm("Il6-/- anti-PD-L1", "il6-ko", "anti-pdl1:200ug@d8,d11"))


@dataclass
class FormCheck:
    """The spec built from a form (None if a field cannot be read), its plan (None if invalid) and
    one message per field id (``name``, ``arm1_treatments`` ...; ``study`` for the rest)."""

    spec: dict | None = None
    plan: object | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.errors


def arm_field(index: int, name: str) -> str:
    """The form field id of an arm's field, e.g. ``arm0_treatments``."""
    return f"arm{index}_{name}"


def check_form(form: StudyForm) -> FormCheck:
    """Parse, build and validate ``form`` exactly as ``immunomet run`` would read its YAML."""
    errors: dict[str, str] = {}
    spec = {"name": form.name.strip(),
            "seed": _number(form.seed, "seed", errors, integer=True),
            "animals_per_arm": _number(form.animals, "animals", errors, integer=True),
            "follow_up": _number(form.follow_up, "follow_up", errors),
            "readout_days": _days(form.readout_days, errors),
            "injection": {"route": "intrasplenic", "cells": _number(form.cells, "cells", errors)},
            "arms": [_arm(arm) for arm in form.arms]}
    if errors:
        return FormCheck(None, None, errors)
    try:
        plan = plan_study(parse_study(spec, "study"))
    except ImmunometError as exc:
        message = str(exc).removeprefix("study: ")
        where = field_of(message, spec)
        return FormCheck(spec, None, {where: message if where == "study" else message.split(": ", 1)[-1]})
    return FormCheck(spec, plan, {})


def spec_yaml(spec: dict) -> str:
    """The spec as the YAML file a user saves and runs with ``immunomet run``."""
    return yaml.safe_dump(spec, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True)


def field_of(message: str, spec: dict) -> str:
    """The form field a one-line SpecError names (``study`` when no field of the form does)."""
    path = message.split(": ", 1)[0].strip()
    arm = re.match(r"arms\[(\d+)\]\.?(\w*)", path)
    if arm:
        index, name = int(arm.group(1)), arm.group(2)
        return arm_field(index, name if name in ARM_FIELDS else ("treatments" if name == "readout_days" else "name"))
    if path == "arms":
        twice = re.search(r"'(.+)' is used twice", message)
        names = [a["name"] for a in spec.get("arms", [])]
        if twice and names.count(twice.group(1)) > 1:
            return arm_field(len(names) - 1 - names[::-1].index(twice.group(1)), "name")
    return SPEC_TO_FIELD.get(path.split(".")[0].split("[")[0], "study")


def _number(text: str, name: str, errors: dict, integer: bool = False):
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        errors[name] = "required" if not text else f"{text!r} is not a number"
        return None
    if not math.isfinite(value):
        errors[name] = "must be a finite number"
        return None
    if integer:
        if value != int(value):
            errors[name] = f"{text!r} is not a whole number"
            return None
        return int(value)
    return value


def _days(text: str, errors: dict) -> list[float] | None:
    days = []
    for part in re.split(r"[,\s]+", text.strip()):
        if part:
            value = _number(part, "readout_days", errors)
            if value is None:
                return None
            days.append(value)
    return days


def _arm(arm: ArmForm) -> dict:
    treatments = [line.strip() for line in arm.treatments.splitlines() if line.strip()]
    return {"name": arm.name.strip(), "genotype": arm.genotype, "treatments": treatments}


@dataclass
class MouseCheck:
    """One mouse's model, protocol and seed from the One mouse page, or messages per field."""

    model: object | None = field(default=None, repr=False)
    protocol: object | None = None
    seed: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def check_mouse(genotype: str, treatments: str, days: str, cells: str, seed: str) -> MouseCheck:
    """The same checks as ``immunomet simulate --genotype --treat --days --cells --seed``."""
    from ..models import load_model
    from ..spec import Injection, Protocol, Treatment

    errors: dict[str, str] = {}
    values = {key: _number(text, key, errors, integer=key == "mouse_seed")
              for key, text in (("mouse_days", days), ("mouse_cells", cells), ("mouse_seed", seed))}
    if values["mouse_seed"] is not None and values["mouse_seed"] < 0:
        errors["mouse_seed"] = "must be >= 0"
    parsed = []
    for line in (t.strip() for t in treatments.splitlines()):
        if line:
            try:
                parsed.append(Treatment.parse(line))
            except ImmunometError as exc:
                errors["mouse_treatments"] = str(exc)
    if errors:
        return MouseCheck(errors=errors)
    model = load_model("mouse")
    try:
        model.genotype(genotype)
        for t in parsed:
            model.agent(t.agent)
        protocol = Protocol(genotype, tuple(parsed), Injection(cells=values["mouse_cells"]), days=values["mouse_days"])
    except ImmunometError as exc:
        text = str(exc)
        where = {"injection": "mouse_cells", "protocol": "mouse_days"}.get(text.split(":")[0], "mouse_treatments")
        return MouseCheck(errors={where: text})
    return MouseCheck(model, protocol, int(values["mouse_seed"]), {})
