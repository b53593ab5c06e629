"""The catalog of all runs under a runs root: an index of the run folders, kept in DuckDB.

Each run folder is the record of its run (``RunFolder``); ``catalog.duckdb`` is an index of them
for queries (``duckdb: SELECT * FROM runs WHERE name = 'toyoshima2019'``). Writes are short
transactions retried while another process holds the database, and an index that cannot be
written is rebuilt from the folders later (``Catalog.rebuild``), so a busy catalog never stops
or loses a run.

    >>> Catalog("runs").runs()          # run_id, kind, name, status, created, individuals, ...
"""
from __future__ import annotations

import json
import os
import socket
import time
import warnings
from pathlib import Path

import pandas as pd

COLUMNS = ["run_id", "kind", "name", "status", "created", "finished", "individuals", "failed", "seed", "model_hash",
           "wall_seconds", "path"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR,
    name VARCHAR,
    path VARCHAR,
    status VARCHAR,
    created VARCHAR,
    finished VARCHAR,
    individuals BIGINT,
    failed BIGINT,
    seed BIGINT,
    model VARCHAR,
    model_hash VARCHAR,
    immunomet_version VARCHAR,
    wall_seconds DOUBLE,
    provenance JSON
)
"""
RETRY_SECONDS = 20.0


class Catalog:
    """``ROOT/catalog.duckdb``, opened per operation so that many processes can share it."""

    def __init__(self, root: str | Path = "runs"):
        self.root = Path(root)
        self.path = self.root / "catalog.duckdb"

    def record_output(self, path: Path, kind: str, description: dict, provenance: dict) -> None:
        """Make ``path`` (the output folder of a job that is not a run-core job, e.g. a calibration)
        a folder the catalog lists: its ``job.json`` and ``provenance.json``, then index it."""
        from .run_folder import RunFolder

        folder = RunFolder(path)
        folder.write_job({"kind": kind, **description})
        folder.write_provenance(provenance)
        self.record(folder)

    def record(self, folder) -> None:
        """Index (or re-index) one run folder from its provenance."""
        row = _row(folder.path)
        if row is not None:
            self._write(lambda con: _upsert(con, row))

    def rebuild(self) -> pd.DataFrame:
        """Re-index every run folder under the root (the folders are the record); returns the runs."""
        rows = [r for r in (_row(p) for p in sorted(self.root.iterdir()) if p.is_dir()) if r is not None] \
            if self.root.is_dir() else []

        def write(con):
            con.execute("DELETE FROM runs")
            for row in rows:
                _upsert(con, row)

        self._write(write)
        return self.runs()

    def runs(self) -> pd.DataFrame:
        """One row per run folder under the root, newest last (read from the folders themselves)."""
        if not self.root.is_dir():
            return pd.DataFrame(columns=COLUMNS)
        rows = [r for r in (_row(p) for p in sorted(self.root.iterdir()) if p.is_dir()) if r is not None]
        table = pd.DataFrame(rows, columns=COLUMNS + ["model", "immunomet_version", "provenance"])
        return table.sort_values(["created", "run_id"], kind="stable")[COLUMNS].reset_index(drop=True)

    def _write(self, operation) -> None:
        import duckdb

        self.root.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path))
                try:
                    _ensure_schema(con)
                    con.execute("BEGIN TRANSACTION")
                    operation(con)
                    con.execute("COMMIT")
                finally:
                    con.close()
                return
            except (duckdb.IOException, duckdb.TransactionException) as exc:
                if time.monotonic() > deadline:
                    warnings.warn(f"catalog {self.path} is busy ({exc}); the run folder is kept and "
                                  f"'immunomet runs --rebuild' indexes it later", stacklevel=3)
                    return
                time.sleep(delay)
                delay = min(delay * 2, 0.5)


def _ensure_schema(con) -> None:
    con.execute(_SCHEMA)
    columns = {r[0] for r in con.execute("DESCRIBE runs").fetchall()}
    if "kind" not in columns:  # a catalog of an older immunomet: the folders are the record, re-index them
        con.execute("DROP TABLE runs")
        con.execute(_SCHEMA)


def _upsert(con, row: dict) -> None:
    con.execute("DELETE FROM runs WHERE run_id = ?", [row["run_id"]])
    names = ["run_id", "kind", "name", "path", "status", "created", "finished", "individuals", "failed", "seed",
             "model", "model_hash", "immunomet_version", "wall_seconds", "provenance"]
    con.execute(f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row[n] for n in names])


def _row(path: Path) -> dict | None:
    """The index row of a run folder, or None if ``path`` is not one."""
    prov_file, job_file = path / "provenance.json", path / "job.json"
    if not (prov_file.is_file() and job_file.is_file()):
        return None
    try:
        prov = json.loads(prov_file.read_text())
        job = json.loads(job_file.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return {"run_id": path.name, "kind": job.get("kind"), "name": prov.get("name"), "path": str(path.resolve()),
            "status": _status(prov), "created": prov.get("created"), "finished": prov.get("finished"),
            "individuals": prov.get("individuals"), "failed": prov.get("failed"), "seed": prov.get("seed"),
            "model": prov.get("model"), "model_hash": prov.get("model_hash"),
            "immunomet_version": prov.get("immunomet_version"), "wall_seconds": prov.get("wall_seconds"),
            "provenance": json.dumps(prov, default=str)}


def _status(prov: dict) -> str | None:
    """The recorded status, or 'killed' for a run recorded as running whose process on this host is gone
    (SIGKILL, a crash, a lost machine leave no other trace); 'immunomet resume' finishes it."""
    status = prov.get("status")
    if status != "running" or prov.get("host") != socket.gethostname() or not prov.get("pid"):
        return status
    try:
        os.kill(int(prov["pid"]), 0)
    except ProcessLookupError:
        return "killed"
    except (PermissionError, ValueError, OverflowError):
        pass
    return status
