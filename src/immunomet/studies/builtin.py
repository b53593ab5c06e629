"""Built-in studies shipped with immunomet (YAML files in ``studies/builtin``)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from ..errors import DataError, SpecError
from .spec import StudySpec, parse_study


def builtin_studies() -> list[str]:
    folder = resources.files("immunomet.studies").joinpath("builtin")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_study_text(name: str) -> str:
    if name not in builtin_studies():
        raise SpecError(f"unknown built-in study {name!r}; built-in studies: {', '.join(builtin_studies())}")
    return resources.files("immunomet.studies").joinpath("builtin").joinpath(f"{name}.yaml").read_text()


def load_builtin(name: str = "toyoshima2019") -> StudySpec:
    return parse_study(yaml.safe_load(builtin_study_text(name)), f"built-in study {name}")


def load_study_file(path: str | Path) -> StudySpec:
    """Read and validate a study YAML file; every problem is one SpecError/DataError line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"study file {str(path)!r} not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise SpecError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_study(data, str(path))
