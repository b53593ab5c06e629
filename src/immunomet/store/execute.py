"""Run a study into a run folder, chunk by chunk, and record it in the catalog."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from ..studies import StudyPlan, StudyResult
from ..studies.result import study_provenance
from ..studies.runner import iter_chunks, make_chunks
from .catalog import Catalog
from .run_folder import RunFolder


def execute_study(plan: StudyPlan, *, root: str | Path = "runs", out: str | Path | None = None,
                  workers: int = 1, chunk_size: int = 16, progress: bool = True,
                  figure: bool = True) -> tuple[StudyResult, RunFolder]:
    """Simulate every animal, writing each finished chunk to the run folder as it arrives.

    The catalog lives in ``root`` (the parent of ``out`` when ``out`` is given). Results are the
    same for any ``workers`` and ``chunk_size``.
    """
    folder = RunFolder.create(plan.name, root, out)
    catalog = Catalog(folder.path.parent)
    provenance = study_provenance(plan, workers, chunk_size) | {"run_id": folder.run_id, "status": "running"}
    folder.write_study(plan.spec.model_dump(mode="json", exclude_defaults=True))
    folder.write_provenance(provenance)
    catalog.register(folder.run_id, folder.path, provenance)
    start = time.perf_counter()
    status = "interrupted"
    try:
        for chunk, tables in iter_chunks(plan, make_chunks(plan, chunk_size), workers, progress):
            folder.write_chunk(chunk.index, tables)
        status = "complete"
    finally:
        wall = time.perf_counter() - start
        finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
        provenance |= {"status": status, "finished": finished, "wall_seconds": round(wall, 2)}
        folder.write_provenance(provenance)
        result = folder.load_result()
        catalog.finish(folder.run_id, status, finished, result.n_failed, wall)
    if figure:
        result.plot(folder.path / "figure.png")
    return result, folder
