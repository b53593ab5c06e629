"""Run a study in memory and return a StudyResult (``store.execute_study`` streams to a run folder)."""
from __future__ import annotations

import pandas as pd

from .plan import StudyPlan
from .result import StudyResult, study_provenance
from .runner import TABLES, iter_chunks, make_chunks


def run_study(plan: StudyPlan, *, workers: int = 1, chunk_size: int = 16, progress: bool = False,
              scheduler: str = "local") -> StudyResult:
    """Simulate every animal of ``plan``; identical results for any ``workers``, ``chunk_size`` and
    ``scheduler`` ("local", or a Dask scheduler address "tcp://HOST:PORT")."""
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    for _, tables in iter_chunks(plan, make_chunks(plan, chunk_size), workers, progress, scheduler):
        for name in TABLES:
            parts[name].append(tables[name])
    tables = {name: pd.concat([t for t in parts[name] if len(t)] or parts[name][:1], ignore_index=True)
              for name in TABLES}
    provenance = study_provenance(plan, workers, chunk_size) | {"scheduler": scheduler}
    return StudyResult.from_tables(tables, [a.name for a in plan.arms], provenance)
