"""The DuckDB catalog of all runs under a runs root: one row per run, with its provenance.

    >>> Catalog("runs").runs()          # run_id, study, status, created, animals, model_hash, ...
    duckdb: SELECT * FROM runs WHERE study = 'toyoshima2019'
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    study VARCHAR,
    path VARCHAR,
    status VARCHAR,
    created VARCHAR,
    finished VARCHAR,
    animals INTEGER,
    failed INTEGER,
    seed BIGINT,
    model VARCHAR,
    model_hash VARCHAR,
    immunomet_version VARCHAR,
    wall_seconds DOUBLE,
    provenance JSON
);
CREATE TABLE IF NOT EXISTS chunks (
    run_id VARCHAR,
    chunk INTEGER,
    animals INTEGER,
    finished VARCHAR,
    PRIMARY KEY (run_id, chunk)
)
"""


class Catalog:
    """``ROOT/catalog.duckdb``; opened per call so several runs can share it one after another."""

    def __init__(self, root: str | Path = "runs"):
        self.root = Path(root)
        self.path = self.root / "catalog.duckdb"

    def _connect(self):
        import duckdb

        self.root.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path))
        con.execute(_SCHEMA)
        return con

    def register(self, run_id: str, path: Path, provenance: dict, status: str = "running") -> None:
        con = self._connect()
        try:
            con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, ?, ?, ?, ?, NULL, ?)",
                [run_id, provenance["study"], str(Path(path).resolve()), status, provenance["created"],
                 provenance["animals"], provenance["seed"], provenance["model"], provenance["model_hash"],
                 provenance["immunomet_version"], json.dumps(provenance, default=str)],
            )
        finally:
            con.close()

    def finish(self, run_id: str, status: str, finished: str, failed: int, wall_seconds: float) -> None:
        con = self._connect()
        try:
            con.execute("UPDATE runs SET status = ?, finished = ?, failed = ?, wall_seconds = ? WHERE run_id = ?",
                        [status, finished, failed, wall_seconds, run_id])
        finally:
            con.close()

    def mark_chunk(self, run_id: str, chunk: int, animals: int, finished: str) -> None:
        """Record a chunk whose tables are in the run folder (after their atomic rename)."""
        con = self._connect()
        try:
            con.execute("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?)", [run_id, chunk, animals, finished])
        finally:
            con.close()

    def chunks(self, run_id: str) -> pd.DataFrame:
        con = self._connect()
        try:
            return con.execute("SELECT chunk, animals, finished FROM chunks WHERE run_id = ? ORDER BY chunk",
                               [run_id]).df()
        finally:
            con.close()

    def runs(self) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame(columns=["run_id", "study", "status", "created", "animals", "failed", "path"])
        con = self._connect()
        try:
            return con.execute(
                "SELECT run_id, study, status, created, finished, animals, failed, seed, model_hash, "
                "wall_seconds, path FROM runs ORDER BY created, run_id").df()
        finally:
            con.close()
