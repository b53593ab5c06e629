"""A run folder: what was run, provenance, and every finished task's tables, written as they arrive.

Layout::

    RUN/job.json              the job as run (kind and full description): the record resume reads
    RUN/study.yaml            a study's spec as run, for people (trial.yaml for a trial)
    RUN/provenance.json       model hash, parameters, seeds, versions, timing, status
    RUN/manifest.jsonl        one line per finished task: rows and SHA-256 of each of its parts
    RUN/tables/NAME/part-00012.parquet   task 12's rows of table NAME

Each part is written to a temporary file and renamed into place; a task counts as done once its
manifest line is written after all its parts, so a reader (or a crash) never sees half a task.
The folder is the record of the run; the catalog (``catalog.duckdb`` in the root) is an index.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ..errors import DataError
from ..jobs.sinks import concat_parts
from ..provenance import utc_now

MANIFEST = "manifest.jsonl"


class RunFolder:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def create(cls, name: str, root: str | Path = "runs", out: str | Path | None = None) -> "RunFolder":
        """A new, empty run folder: ``out``, or ROOT/NAME-TIMESTAMP (-2, -3, ... if taken). Creating the
        folder is the claim, so runs started at the same second by several processes never share one."""
        try:
            if out is not None:
                path = Path(out)
                if path.exists() and (not path.is_dir() or any(path.iterdir())):
                    raise DataError(f"--out {str(path)!r} exists and is not an empty folder; choose a new folder or "
                                    "remove it")
                path.mkdir(parents=True, exist_ok=True)
            else:
                path = _claim(Path(root), f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
            (path / "tables").mkdir(exist_ok=True)
        except OSError as exc:
            flag = "--out" if out is not None else "--root"
            raise DataError(f"{flag} {str(out if out is not None else root)!r}: cannot write a run folder there "
                            f"({exc.strerror or exc}); choose a folder you can write") from None
        return cls(path)

    @property
    def run_id(self) -> str:
        return self.path.name

    # ---- what was run -------------------------------------------------------------------
    def write_job(self, description: dict) -> None:
        _atomic_write_text(self.path / "job.json", json.dumps(description, indent=1, default=str))

    def read_job(self) -> dict:
        file = self.path / "job.json"
        if not file.is_file():
            raise DataError(f"{str(self.path)!r} is not a run folder of this immunomet version (no job.json)")
        return _read_json(file, "the job as run")

    def write_spec(self, spec: dict, name: str = "study.yaml") -> None:
        _atomic_write_text(self.path / name, yaml.safe_dump(spec, sort_keys=False))

    def read_study(self):
        """The study as run (``study.yaml``), validated again."""
        from ..studies import parse_study

        file = self.path / "study.yaml"
        if not file.is_file():
            raise DataError(f"{str(self.path)!r} is not a run folder of a study (no study.yaml)")
        return parse_study(yaml.safe_load(file.read_text()), str(file))

    def write_provenance(self, provenance: dict) -> None:
        _atomic_write_text(self.path / "provenance.json", json.dumps(provenance, indent=2, default=str))

    def read_provenance(self) -> dict:
        file = self.path / "provenance.json"
        if not file.is_file():
            raise DataError(f"{str(self.path)!r} is not a run folder (no provenance.json)")
        return _read_json(file, "the run's provenance")

    # ---- tables -------------------------------------------------------------------------
    def write_task(self, index: int, tables: dict[str, pa.Table], extra: dict | None = None) -> None:
        """Write one task's tables, then its manifest line (the task's completion mark)."""
        entry = {"task": index, "finished": utc_now(), **(extra or {}), "tables": {}}
        for name, table in tables.items():
            folder = self.path / "tables" / name
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"part-{index:05d}.parquet"
            tmp = folder / f".part-{index:05d}.parquet.tmp"
            pq.write_table(table, tmp)
            entry["tables"][name] = {"rows": table.num_rows, "sha256": _sha256(tmp)}
            os.replace(tmp, final)
        with open(self.path / MANIFEST, "a") as f:  # one write of one line: a crash leaves it whole or torn
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def manifest(self) -> dict[int, dict]:
        """The finished tasks' manifest entries by task (a torn last line is ignored)."""
        file = self.path / MANIFEST
        if not file.is_file():
            return {}
        out = {}
        for line in file.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
                if isinstance(entry.get("tables"), dict):
                    out[int(entry["task"])] = entry
            except (json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
                continue  # a torn or garbled line: that task counts as not finished
        return out

    def completed_tasks(self) -> set[int]:
        return set(self.manifest())

    def read_tables(self, schemas: dict[str, pa.Schema], tasks=None) -> dict[str, pa.Table]:
        """Every table, from the parts of finished tasks only (or of ``tasks``), in task order."""
        parts = []
        for index in sorted(self.manifest() if tasks is None else tasks):
            task = {}
            for name in schemas:
                file = self.path / "tables" / name / f"part-{index:05d}.parquet"
                if file.is_file():
                    task[name] = _read_part(file, schemas[name])
            parts.append(task)
        return concat_parts(schemas, parts)

    def read_pandas(self, schemas: dict[str, pa.Schema], tasks=None) -> dict[str, pd.DataFrame]:
        return {name: table.to_pandas() for name, table in self.read_tables(schemas, tasks).items()}

    def lazy_pandas(self, schemas: dict[str, pa.Schema]) -> "LazyTables":
        """``read_pandas``, each table read when first asked for, from the tasks finished now."""
        return LazyTables(self, schemas)


class LazyTables(Mapping):
    """A run folder's tables as a mapping: a table is read from its parts on first access and kept.
    The finished tasks are fixed when it is made, so every table holds the same tasks."""

    def __init__(self, folder: RunFolder, schemas: dict[str, pa.Schema]):
        self.folder, self.schemas, self.read = folder, schemas, {}
        self.tasks = sorted(folder.manifest())

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.read:
            self.read[name] = self.folder.read_pandas({name: self.schemas[name]}, self.tasks)[name]
        return self.read[name]

    def __iter__(self):
        return iter(self.schemas)

    def __len__(self) -> int:
        return len(self.schemas)


def _read_json(file: Path, what: str) -> dict:
    try:
        data = json.loads(file.read_text(errors="replace"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{file}: {what} is not valid JSON any more ({exc.msg}, line {exc.lineno}); the folder "
                        "cannot be trusted: start a new run") from None
    if not isinstance(data, dict):
        raise DataError(f"{file}: {what} is not a JSON object any more; start a new run")
    return data


def _claim(root: Path, stem: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        path = root / (stem if n == 1 else f"{stem}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1


def _read_part(file: Path, schema) -> pa.Table:
    try:
        return pq.read_table(file, schema=schema)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise DataError(f"{file}: cannot be read ({str(exc).splitlines()[0]}); 'immunomet check {file.parents[2]}' "
                        "lists what is damaged and 'immunomet resume' re-runs it") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
