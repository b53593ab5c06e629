"""The package layout (shared/design/ARCHITECTURE.md): imports point only down the pipeline.

    spec -> models -> simulate -> jobs -> readouts -> cohorts -> studies -> analysis
         -> calibration -> optimize -> interop -> store -> workflows -> report -> app -> cli

(``app``, the web app, renders like ``report``; ``cli`` sits above it because ``immunomet app``
starts it.)

Top-level helpers (errors, random, provenance, units) may be imported by any layer; a layer
imports only layers to its left. Imports inside functions count too.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "immunomet"
ORDER = ["spec", "models", "simulate", "jobs", "readouts", "cohorts", "studies", "analysis", "calibration",
         "optimize", "interop", "store", "workflows", "report", "app", "cli"]
SHARED = {"errors", "random", "provenance", "units", "__init__", "__main__", "__version__"}


def _imports(path: Path) -> set[str]:
    """Top-level immunomet packages a module imports (absolute or relative)."""
    tree = ast.parse(path.read_text())
    package = path.relative_to(PACKAGE).parts
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = list(package[:-1])[: len(package) - node.level]
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # "from .. import x": the names are the modules
                    out |= {a.name for a in node.names}
                    continue
                out.add(target[0])
            elif node.module and node.module.startswith("immunomet."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("immunomet.")}
    return out


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] in ORDER)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_pipeline(path):
    layer = path.relative_to(PACKAGE).parts[0]
    allowed = set(ORDER[: ORDER.index(layer) + 1]) | SHARED
    assert _imports(path) <= allowed, f"{path.relative_to(PACKAGE)} imports {sorted(_imports(path) - allowed)}"
