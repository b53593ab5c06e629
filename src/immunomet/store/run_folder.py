"""A run folder: the study as run, provenance, and tables written chunk by chunk.

Layout::

    RUN/study.yaml            the study spec as run (with command-line overrides)
    RUN/provenance.json       model hash, parameters, seeds, versions, timing, status
    RUN/tables/NAME/part-00012.parquet   one file per finished chunk and table
    RUN/figure.png            per-arm overview

Each part is written to a temporary file and renamed into place, so a reader (or a crash) never
sees half a chunk; a chunk counts as done once its ``animals`` part exists.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

from ..errors import DataError
from ..studies import StudyResult
from ..studies.runner import COLUMNS, TABLES


class RunFolder:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def create(cls, study: str, root: str | Path = "runs", out: str | Path | None = None) -> "RunFolder":
        if out is not None:
            path = Path(out)
            if path.exists() and any(path.iterdir()):
                raise DataError(f"--out {str(path)!r} exists and is not empty; choose a new folder or remove it")
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            path, n = Path(root) / f"{study}-{stamp}", 1
            while path.exists():
                n += 1
                path = Path(root) / f"{study}-{stamp}-{n}"
        (path / "tables").mkdir(parents=True, exist_ok=True)
        return cls(path)

    @property
    def run_id(self) -> str:
        return self.path.name

    def write_study(self, spec_dict: dict) -> None:
        _atomic_write_text(self.path / "study.yaml", yaml.safe_dump(spec_dict, sort_keys=False))

    def read_study(self):
        """The study as run (``study.yaml``), validated again."""
        from ..studies import parse_study

        file = self.path / "study.yaml"
        if not file.is_file():
            raise DataError(f"{str(self.path)!r} is not a run folder (no study.yaml)")
        return parse_study(yaml.safe_load(file.read_text()), str(file))

    def write_provenance(self, provenance: dict) -> None:
        _atomic_write_text(self.path / "provenance.json", json.dumps(provenance, indent=2, default=str))

    def read_provenance(self) -> dict:
        file = self.path / "provenance.json"
        if not file.is_file():
            raise DataError(f"{str(self.path)!r} is not a run folder (no provenance.json)")
        return json.loads(file.read_text())

    def write_chunk(self, index: int, tables: dict[str, pd.DataFrame]) -> None:
        """Write one chunk's tables; ``animals`` last, as the chunk's completion mark."""
        for name in sorted(TABLES, key=lambda n: n == "animals"):
            folder = self.path / "tables" / name
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / f"part-{index:05d}.parquet"
            tmp = folder / f".part-{index:05d}.parquet.tmp"
            tables[name].to_parquet(tmp, index=False)
            os.replace(tmp, final)

    def completed_chunks(self) -> set[int]:
        folder = self.path / "tables" / "animals"
        return {int(p.stem.split("-")[1]) for p in folder.glob("part-*.parquet")} if folder.is_dir() else set()

    def read_table(self, name: str) -> pd.DataFrame:
        """All completed parts of a table (parts of unfinished chunks are ignored)."""
        done = self.completed_chunks()
        folder = self.path / "tables" / name
        parts = [pd.read_parquet(p) for p in sorted(folder.glob("part-*.parquet")) if int(p.stem.split("-")[1]) in done]
        parts = [p for p in parts if not p.empty]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS[name])

    def load_result(self) -> StudyResult:
        provenance = self.read_provenance()
        tables = {name: self.read_table(name) for name in TABLES}
        return StudyResult.from_tables(tables, provenance.get("arms", []), provenance)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
