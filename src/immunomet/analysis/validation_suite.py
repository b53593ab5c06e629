"""The out-of-sample validation suite: published experiments not used for calibration, each a
folder ``validation/NAME/`` with its study (``study.yaml``, or several ``study*.yaml``), its
pre-registered pass criterion (``criterion.yaml``, format in ``validation_criteria``) and, after a
run, ``result.md``.

``run_suite("validation")`` loads every experiment, plans and runs its studies on the run core,
evaluates the checks and returns a ``SuiteResult`` (prints as a table; ``write_results`` writes
each ``result.md``). An experiment that cannot be loaded, planned or run is NOT RUN with the
reason, never FAIL and never silently skipped.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ImmunometError, SpecError
from ..models import load_model
from ..readouts.lab import readout_names
from ..studies import load_study_file, plan_study, run_study
from ..studies.builtin import read_yaml
from .validation_criteria import CheckResult, CriterionSpec, evaluate_check, parse_criterion

CRITERION = "criterion.yaml"
RESULT = "result.md"


@dataclass
class Experiment:
    """One folder of the suite, loaded and planned (nothing simulated yet)."""

    name: str
    folder: Path
    criterion: CriterionSpec
    plans: dict  # study file name -> StudyPlan

    def digest(self) -> str:
        """SHA-256 (first 12 hex) of the criterion and study files: ties a result to their text."""
        h = hashlib.sha256()
        for name in [CRITERION, *sorted(self.plans)]:
            h.update((self.folder / name).read_bytes())
        return h.hexdigest()[:12]


def load_criterion(path: str | Path) -> CriterionSpec:
    """Read and validate a criterion.yaml; one SpecError/DataError line naming the file and field."""
    return parse_criterion(read_yaml(path, "criterion"), str(path))


def load_experiment(folder: str | Path) -> Experiment:
    """Load an experiment folder: its criterion, and a plan for each study the checks name, with
    each check's arms, readout and day checked against its study (one SpecError line)."""
    folder = Path(folder)
    criterion = load_criterion(folder / CRITERION)
    plans = {}
    for i, check in enumerate(criterion.checks):
        if check.study not in plans:
            plans[check.study] = plan_study(load_study_file(folder / check.study))
        _check_against_plan(check, plans[check.study], f"{folder / CRITERION}: checks[{i}]")
    return Experiment(folder.name, folder, criterion, plans)


def _check_against_plan(check, plan, where: str) -> None:
    arms = {a.name: a for a in plan.arms}
    for name, label in ((check.arm, "arm"), (check.reference, "reference")):
        if name is not None and name not in arms:
            raise SpecError(f"{where}.{label}: no arm {name!r} in {check.study}; arms: {', '.join(arms)}")
    if check.readout is not None and check.readout not in readout_names(plan.local_tumour):
        site = "a local-tumour" if plan.local_tumour else "a liver"
        raise SpecError(f"{where}.readout: {check.readout!r} is not measured in {check.study} ({site} study); "
                        f"readouts: {', '.join(readout_names(plan.local_tumour))}")
    if check.day is not None:
        for name in filter(None, (check.arm, check.reference)):
            if check.day not in arms[name].readout_days:
                raise SpecError(f"{where}.day: arm {name!r} of {check.study} is not read on day {check.day:g}; "
                                f"its readout days: {', '.join(f'{d:g}' for d in arms[name].readout_days)}")


def discover(root: str | Path) -> list[Path]:
    """The experiment folders under ``root`` (those holding a criterion.yaml), sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise SpecError(f"validation suite {str(root)!r}: not a folder")
    return sorted(p.parent for p in root.glob(f"*/{CRITERION}"))


def select_experiments(folders: list[Path], names: list[str] | None, root) -> list[Path]:
    """The folders named in ``names`` (all of them without names); an unknown name is one SpecError line."""
    if not names:
        return folders
    unknown = sorted(set(names) - {f.name for f in folders})
    if unknown:
        raise SpecError(f"validation suite {root}: no experiment {unknown[0]!r}; experiments: "
                        f"{', '.join(f.name for f in folders)}")
    return [f for f in folders if f.name in names]


@dataclass
class ExperimentResult:
    name: str
    verdict: str  # PASS, FAIL or NOT RUN
    reason: str = ""
    claim: str = ""
    source: str = ""
    checks: list[CheckResult] = field(default_factory=list)
    studies: dict = field(default_factory=dict)  # study file -> summary (model hash, seed, animals, failed)
    digest: str = ""
    seconds: float = 0.0

    def row(self) -> dict:
        passed = sum(c.passed is True for c in self.checks)
        effects = "; ".join(f"{c.id}: {c.effect or c.reason}" + (f" (p={c.p:.2g})" if np.isfinite(c.p) else "")
                            for c in self.checks)
        return {"experiment": self.name, "verdict": self.verdict, "checks": f"{passed}/{len(self.checks)}",
                "effects": effects or self.reason}


def _verdict(checks: list[CheckResult]) -> tuple[str, str]:
    if any(c.passed is False for c in checks):
        return "FAIL", ""
    missing = [c for c in checks if c.passed is None]
    if missing:
        return "NOT RUN", "; ".join(f"{c.id}: {c.reason}" for c in missing)
    return "PASS", ""


def run_experiment(experiment: Experiment, *, workers: int = 1, engine: str | None = None) -> ExperimentResult:
    """Run the experiment's studies (on ``engine``, default the plan's) and evaluate its checks."""
    start = time.perf_counter()
    results, studies = {}, {}
    for name, plan in experiment.plans.items():
        result = run_study(plan.with_engine(engine) if engine else plan, workers=workers)
        results[name] = result
        studies[name] = {"study": plan.name, "model": plan.model.name, "model_hash": plan.model.hash,
                         "seed": plan.seed, "animals": plan.n_animals, "failed": result.n_failed,
                         "arms": {a.name: a.animals for a in plan.arms}}
    checks = [evaluate_check(c, results[c.study]) for c in experiment.criterion.checks]
    verdict, reason = _verdict(checks)
    return ExperimentResult(experiment.name, verdict, reason, experiment.criterion.claim,
                            experiment.criterion.source, checks, studies, experiment.digest(),
                            time.perf_counter() - start)


def _not_run(folder: Path, exc: Exception) -> ExperimentResult:
    return ExperimentResult(folder.name, "NOT RUN", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


@dataclass
class SuiteResult:
    """Verdicts of every experiment of a suite; prints as a table with the pass rate."""

    root: str
    experiments: list[ExperimentResult]
    model: str = ""
    model_hash: str = ""
    seconds: float = 0.0
    note: str = ""

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([e.row() for e in self.experiments], columns=["experiment", "verdict", "checks", "effects"])

    @property
    def counts(self) -> dict[str, int]:
        verdicts = [e.verdict for e in self.experiments]
        return {v: verdicts.count(v) for v in ("PASS", "FAIL", "NOT RUN")}

    def pass_rate(self) -> tuple[float, float, float]:
        """Share of the experiments that ran which passed, with its 95% Wilson interval."""
        ran = self.counts["PASS"] + self.counts["FAIL"]
        if not ran:
            return float("nan"), float("nan"), float("nan")
        ci = stats.binomtest(self.counts["PASS"], ran).proportion_ci(method="wilson")
        return self.counts["PASS"] / ran, float(ci.low), float(ci.high)

    @property
    def exit_code(self) -> int:
        """0 if every experiment ran and passed, 1 otherwise (for a command line)."""
        return 0 if self.experiments and self.counts["PASS"] == len(self.experiments) else 1

    def __str__(self) -> str:
        rate, low, high = self.pass_rate()
        c = self.counts
        head = (f"immunomet validation suite {self.root}: {len(self.experiments)} experiments, model "
                f"{self.model} ({self.model_hash}), {self.seconds:.0f} s")
        lines = [head]
        if self.note:
            lines.append(self.note)
        lines += ["", _format_table(self.table()), "",
                  f"PASS {c['PASS']}, FAIL {c['FAIL']}, NOT RUN {c['NOT RUN']}; pass rate of those run "
                  + (f"{rate:.0%} (95% CI {low:.0%}-{high:.0%})" if np.isfinite(rate) else "-")]
        return "\n".join(lines)

    def write_results(self) -> list[Path]:
        """Write each experiment's result.md into its folder; returns the paths written."""
        from .validation_report import result_markdown

        written = []
        for e in self.experiments:
            folder = Path(self.root) / e.name
            if folder.is_dir():
                path = folder / RESULT
                path.write_text(result_markdown(e, self))
                written.append(path)
        return written


def _format_table(table: pd.DataFrame, width: int = 110) -> str:
    """Left-aligned text columns; long effect summaries cut at ``width`` (result.md has them whole)."""
    shown = table.copy()
    shown["effects"] = shown["effects"].map(lambda s: s if len(s) <= width else s[: width - 3] + "...")
    widths = {c: max([len(c)] + [len(str(v)) for v in shown[c]]) for c in shown.columns}
    rows = [list(shown.columns)] + shown.astype(str).values.tolist()
    return "\n".join("  ".join(f"{v:<{widths[c]}}" for v, c in zip(row, shown.columns)).rstrip() for row in rows)


def run_suite(root: str | Path = "validation", *, names: list[str] | None = None, write: bool = True,
              workers: int = 1, engine: str | None = None, note: str = "") -> SuiteResult:
    """Run every experiment under ``root`` (or only ``names``), evaluate its criterion and return a
    SuiteResult; with ``write``, each folder gets its ``result.md``. ``note`` is printed and written
    with the results (e.g. which model version the verdicts belong to); ``engine`` overrides the
    studies' engine (``"scipy"`` avoids the batched engine's one-time compile)."""
    start = time.perf_counter()
    folders = select_experiments(discover(root), names, root)
    experiments = []
    for folder in folders:
        try:
            experiments.append(run_experiment(load_experiment(folder), workers=workers, engine=engine))
        except (ImmunometError, OSError) as exc:
            experiments.append(_not_run(folder, exc))
        except Exception as exc:  # a bug below the suite: this experiment is NOT RUN, the others still run
            experiments.append(_not_run(folder, RuntimeError(f"internal error: {type(exc).__name__}: {exc}")))
    model = load_model("mouse")
    suite = SuiteResult(str(root), experiments, model.name, model.hash, time.perf_counter() - start, note)
    if write:
        suite.write_results()
    return suite
