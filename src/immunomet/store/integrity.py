"""Integrity of a run folder: what the manifest promises against what is on disk.

``check_run`` compares every finished task's manifest entry with its part files (present, row
count, SHA-256), looks for part files no finished task owns (a copied or stray file, or the parts
of a task that was killed mid-write) and for a task recorded twice. ``quarantine`` moves the parts
of damaged tasks to ``RUN/damaged/`` and drops their manifest lines, so ``resume`` runs exactly
those tasks again. Readers (``open_run``) never take a damaged run for a complete one: they check
every promised part is there, with its row count and hash (``immunomet check RUN`` lists all
problems).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from ..errors import DataError
from .run_folder import MANIFEST, RunFolder, _atomic_write_text, _sha256


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a run folder; ``task`` is None for a file no task owns."""

    kind: str        # missing, corrupt, rows, duplicate, garbled, stray, unfinished
    task: int | None
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


def check_run(folder: RunFolder, expected: set[int] | None = None, *, hashes: bool = True) -> list[Problem]:
    """Every problem of ``folder``; ``expected`` (the job's task indices) adds a check that no
    finished task lies outside the job; ``hashes=False`` skips reading whole files."""
    problems = _manifest_duplicates(folder)
    manifest = folder.manifest()
    owned = set()
    for task, entry in sorted(manifest.items()):
        if expected is not None and task not in expected:
            problems.append(Problem("stray", task, MANIFEST, f"task {task} is not a task of this run"))
        for name, info in entry.get("tables", {}).items():
            path = folder.path / "tables" / name / f"part-{task:05d}.parquet"
            owned.add(path)
            problems += _check_part(path, task, info, hashes)
    for path in sorted((folder.path / "tables").glob("*/part-*.parquet")):
        if path not in owned:
            task = _task_of(path)
            kind = "unfinished" if task not in manifest and (expected is None or task in expected) else "stray"
            problems.append(Problem(kind, None, str(path.relative_to(folder.path)),
                                    "no finished task owns this part (a task killed mid-write, or a copied file)"))
    return problems


def verify_complete(folder: RunFolder, expected: set[int]) -> None:
    """Raise DataError unless every expected task is finished with its parts whole (row counts)."""
    missing = sorted(expected - set(folder.manifest()))
    if missing:
        raise DataError(f"run {str(folder.path)!r} misses {len(missing)} of {len(expected)} tasks (e.g. task "
                        f"{missing[0]}); finish it with 'immunomet resume {folder.path}'")
    damaged = [p for p in check_run(folder, expected) if p.kind not in ("unfinished", "stray")]
    if damaged:
        raise DataError(f"run {str(folder.path)!r} is damaged ({damaged[0]}); 'immunomet check {folder.path}' lists "
                        f"the problems and 'immunomet resume {folder.path}' re-runs the damaged tasks")


def quarantine(folder: RunFolder, problems: list[Problem]) -> set[int]:
    """Move the parts of damaged tasks and stray files to RUN/damaged/ and drop the damaged tasks'
    manifest lines; returns the tasks to run again."""
    bad_tasks = {p.task for p in problems if p.task is not None}
    stray = [folder.path / p.path for p in problems if p.task is None and p.path != MANIFEST]
    target = folder.path / "damaged"
    for path in stray + [f for t in bad_tasks for f in (folder.path / "tables").glob(f"*/part-{t:05d}.parquet")]:
        if path.exists():
            dest = target / path.relative_to(folder.path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), dest)
    kept = [entry for task, entry in sorted(folder.manifest().items()) if task not in bad_tasks]
    _atomic_write_text(folder.path / MANIFEST, "".join(json.dumps(e) + "\n" for e in kept))
    return bad_tasks


def _check_part(path: Path, task: int, info: dict, hashes: bool) -> list[Problem]:
    where = str(path.relative_to(path.parents[2]))
    if not path.is_file():
        return [Problem("missing", task, where, f"task {task}'s part is gone")]
    try:
        rows = pq.read_metadata(path).num_rows
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError) for a truncated file
        return [Problem("corrupt", task, where, f"not a readable Parquet file ({str(exc).splitlines()[0]})")]
    if rows != info.get("rows"):
        return [Problem("rows", task, where, f"{rows} rows, the manifest says {info.get('rows')}")]
    if hashes and _sha256(path) != info.get("sha256"):
        return [Problem("corrupt", task, where, "its content changed since it was written (SHA-256 differs)")]
    return []


def _manifest_duplicates(folder: RunFolder) -> list[Problem]:
    """Tasks recorded more than once, and lines that are not a task's record (torn or garbled)."""
    file = folder.path / MANIFEST
    if not file.is_file():
        return []
    seen: dict[int, int] = {}
    problems = []
    for number, line in enumerate(file.read_text(errors="replace").splitlines(), 1):
        try:
            entry = json.loads(line)
            task = int(entry["task"])
            if not isinstance(entry["tables"], dict):
                raise TypeError
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            problems.append(Problem("garbled", None, MANIFEST, f"line {number} is not a task's record"))
            continue
        seen[task] = seen.get(task, 0) + 1
    return problems + [Problem("duplicate", t, MANIFEST, f"task {t} is recorded {n} times")
                       for t, n in seen.items() if n > 1]


def _task_of(path: Path) -> int | None:
    try:
        return int(path.stem.split("-")[1])
    except (IndexError, ValueError):
        return None


__all__ = ["Problem", "check_run", "quarantine", "verify_complete"]
