"""Run a study into a run folder, chunk by chunk, and record it in the catalog."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from ..errors import DataError
from ..studies import StudyPlan, StudyResult, plan_study
from ..studies.result import study_provenance
from ..studies.runner import iter_chunks, make_chunks
from .catalog import Catalog
from .run_folder import RunFolder


def execute_study(plan: StudyPlan, *, root: str | Path = "runs", out: str | Path | None = None,
                  workers: int = 1, chunk_size: int = 16, progress: bool = True,
                  figure: bool = True, scheduler: str = "local") -> tuple[StudyResult, RunFolder]:
    """Simulate every animal, writing each finished chunk to the run folder as it arrives.

    The catalog lives in ``root`` (the parent of ``out`` when ``out`` is given). Results are the
    same for any ``workers`` and ``chunk_size``. An interrupted run can be finished with
    ``resume_study``.
    """
    folder = RunFolder.create(plan.name, root, out)
    provenance = study_provenance(plan, workers, chunk_size) | {"run_id": folder.run_id, "status": "running",
                                                                  "scheduler": scheduler}
    folder.write_study(plan.spec.model_dump(mode="json", exclude_defaults=True))
    folder.write_provenance(provenance)
    Catalog(folder.path.parent).register(folder.run_id, folder.path, provenance)
    return _run_chunks(plan, folder, provenance, workers, chunk_size, progress, figure, scheduler)


def resume_study(path: str | Path, *, workers: int = 1, progress: bool = True,
                 figure: bool = True, scheduler: str = "local") -> tuple[StudyResult, RunFolder]:
    """Finish an interrupted run: the chunks not yet written, with the run's own seed, engine and
    chunk size, so the final tables equal those of an uninterrupted run (no animal lost or doubled)."""
    folder = RunFolder(path)
    provenance = folder.read_provenance()
    if provenance.get("status") == "complete":
        return folder.load_result(), folder
    plan = plan_study(folder.read_study()).with_engine(provenance.get("engine", "scipy"))
    if provenance["seed"] != plan.seed or provenance["model_hash"] != plan.model.hash:
        raise DataError(f"{folder.path}: study.yaml no longer matches the run's provenance (seed or model); "
                        "start a new run instead")
    return _run_chunks(plan, folder, provenance, workers, int(provenance["chunk_size"]), progress, figure, scheduler)


def _run_chunks(plan, folder: RunFolder, provenance: dict, workers: int, chunk_size: int, progress: bool,
                figure: bool, scheduler: str) -> tuple[StudyResult, RunFolder]:
    catalog = Catalog(folder.path.parent)
    done = folder.completed_chunks()
    chunks = make_chunks(plan, chunk_size)
    marked = set(catalog.chunks(folder.run_id)["chunk"])
    for c in chunks:  # written but killed before the catalog heard of it: the folder is the record
        if c.index in done and c.index not in marked:
            catalog.mark_chunk(folder.run_id, c.index, c.size, _now())
    todo = [c for c in chunks if c.index not in done]
    start = time.perf_counter()
    status = "interrupted"
    try:
        for chunk, tables in iter_chunks(plan, todo, workers, progress, scheduler):
            folder.write_chunk(chunk.index, tables)
            catalog.mark_chunk(folder.run_id, chunk.index, chunk.size, _now())
        status = "complete"
    finally:
        wall = time.perf_counter() - start + float(provenance.get("wall_seconds") or 0.0)
        provenance |= {"status": status, "finished": _now(), "wall_seconds": round(wall, 2)}
        folder.write_provenance(provenance)
        result = folder.load_result()
        catalog.finish(folder.run_id, status, provenance["finished"], result.n_failed, wall)
    if figure:
        result.plot(folder.path / "figure.png")
    return result, folder


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
