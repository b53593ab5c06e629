"""Load a parameter table (YAML shipped with the package) into a ParameterSet."""
from __future__ import annotations

from importlib import resources

import yaml

from ..errors import SpecError
from ..spec import Parameter, ParameterSet

_FIELDS = {"value", "unit", "prior", "source", "description", "varies"}


def load_parameter_table(filename: str) -> ParameterSet:
    text = resources.files("immunomet.models").joinpath("data", filename).read_text()
    return parse_parameter_table(yaml.safe_load(text), filename)


def parse_parameter_table(table: dict, where: str) -> ParameterSet:
    params = []
    for name, entry in table.items():
        missing = {"value", "unit", "prior", "source"} - set(entry)
        extra = set(entry) - _FIELDS
        if missing or extra:
            raise SpecError(f"{where}: parameter {name!r}: missing {sorted(missing)} / unknown {sorted(extra)}")
        low, high = entry["prior"]
        params.append(Parameter(name, float(entry["value"]), str(entry["unit"]), (float(low), float(high)),
                                str(entry["source"]), str(entry.get("description", "")),
                                bool(entry.get("varies", True))))
    return ParameterSet(params)
