"""Built-in studies shipped with immunomet (YAML files in ``studies/builtin``)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from ..errors import DataError, SpecError
from .spec import StudySpec, parse_study
from .trial_spec import TrialSpec, parse_trial


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
    return parse_study(read_yaml(path, "study"), str(path))


def builtin_trials() -> list[str]:
    folder = resources.files("immunomet.studies").joinpath("builtin_trials")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_trial_text(name: str) -> str:
    if name not in builtin_trials():
        raise SpecError(f"unknown built-in trial {name!r}; built-in trials: {', '.join(builtin_trials())}")
    return resources.files("immunomet.studies").joinpath("builtin_trials").joinpath(f"{name}.yaml").read_text()


def load_builtin_trial(name: str = "dfs_by_il6") -> TrialSpec:
    return parse_trial(yaml.safe_load(builtin_trial_text(name)), f"built-in trial {name}")


def load_trial_file(path: str | Path) -> TrialSpec:
    """Read and validate a trial YAML file (or a built-in trial's name); one error line otherwise."""
    if not Path(path).exists() and str(path) in builtin_trials():
        return load_builtin_trial(str(path))
    return parse_trial(read_yaml(path, "trial"), str(path))


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error (YAML would keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: str | Path, kind: str):
    """The YAML document in ``path``; a missing file or bad YAML is one DataError/SpecError line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{kind} file {str(path)!r} not found")
    try:
        data = yaml.load(path.read_text(), Loader=UniqueKeyLoader)
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a text file (a {kind} is YAML text)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise SpecError(f"{path}: not valid YAML{where}: {problem}") from None
    return data
