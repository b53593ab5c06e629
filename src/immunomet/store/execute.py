"""Run any job into a run folder, and finish an interrupted one (``resume``).

``job.json`` in the folder is the record of what was run; resume rebuilds the job from it (a
registry of job kinds below), checks that nothing it depends on changed since (the spec file
beside it, the model) and runs exactly the tasks without a manifest line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml

from ..errors import DataError
from ..jobs import Job, executor_for, run_job
from ..studies import StudyJob, StudyPlan, StudyResult, TrialJob, parse_study, parse_trial, plan_study, plan_trial
from .integrity import Problem, check_run, quarantine, verify_complete
from .run_folder import MANIFEST, RunFolder
from .sink import RunFolderSink, load_result

__all__ = ["JOB_KINDS", "check", "execute", "execute_study", "open_run", "rebuild_job", "resume"]


def execute(job: Job, engine: str, *, root: str | Path = "runs", out: str | Path | None = None, workers: int = 1,
            progress: bool = True, scheduler: str = "local", catalog: bool = True,
            allow_large: bool = False, cancel=None, on_progress=None) -> tuple[Any, RunFolder]:
    """Run ``job`` (on ``engine``'s executor, see ``jobs.executor_for``) into a new run folder
    (indexed in the root's catalog unless ``catalog`` is False, e.g. for a run inside another).
    A job too large to be meant is refused before the folder exists, unless ``allow_large``.
    ``cancel`` and ``on_progress`` are passed to ``jobs.run_job`` (e.g. by the app)."""
    job.check_size(allow_large)
    extra = {"workers": workers, "scheduler": scheduler}
    sink = RunFolderSink.create(job, root, out, extra, catalog=catalog)
    with executor_for(engine, workers, scheduler) as executor:
        result = run_job(job, executor=executor, sink=sink, progress=progress, allow_large=True, cancel=cancel,
                         on_progress=on_progress)
    return result, sink.folder


def execute_study(plan: StudyPlan, *, root: str | Path = "runs", out: str | Path | None = None,
                  workers: int = 1, chunk_size: int = 0, progress: bool = True,
                  figure: bool = True, scheduler: str = "local", allow_large: bool = False, cancel=None,
                  on_progress=None) -> tuple[StudyResult, RunFolder]:
    """Simulate every animal of a study, writing each finished chunk to the run folder as it arrives.

    The catalog lives in ``root`` (the parent of ``out`` when ``out`` is given). Results are the
    same for any ``workers`` and ``chunk_size``. An interrupted run is finished with ``resume``.
    """
    result, folder = execute(StudyJob(plan, chunk_size), plan.engine, root=root if out is None else Path(out).parent,
                             out=out, workers=workers, progress=progress, scheduler=scheduler, allow_large=allow_large,
                             cancel=cancel, on_progress=on_progress)
    if figure:
        result.plot(folder.path / "figure.png")
    return result, folder


def resume(path: str | Path, *, workers: int = 1, progress: bool = True, figure: bool = True,
           scheduler: str = "local", cancel=None, on_progress=None) -> tuple[Any, RunFolder]:
    """Finish an interrupted run: the tasks not yet written, with the run's own seed, engine and
    chunk size, so the final tables equal those of an uninterrupted run (no row lost or doubled)."""
    folder = RunFolder(path)
    description = folder.read_job()
    job, engine = rebuild_job(description, folder)
    expected = {t.index for t in job.tasks()}
    damaged = [p for p in check_run(folder, expected) if p.kind != "unfinished"]
    if damaged:
        quarantine(folder, damaged)  # their tasks are run again below
    elif folder.read_provenance().get("status") == "complete" and expected <= folder.completed_tasks():
        return load_result(job, folder), folder
    sink = RunFolderSink.reopen(job, folder)
    with executor_for(engine, workers, scheduler) as executor:
        result = run_job(job, executor=executor, sink=sink, progress=progress, allow_large=True,  # allowed at the start
                         cancel=cancel, on_progress=on_progress)
    if figure and isinstance(job, StudyJob):
        result.plot(folder.path / "figure.png")
    return result, folder


def open_run(path: str | Path) -> tuple[Job, Any, RunFolder]:
    """(job, result, folder) of the run at ``path``: its job rebuilt from job.json and the tables
    of its finished tasks (see the provenance's ``status`` for whether it is complete). A run
    recorded as complete whose parts are not all there and whole is refused (DataError)."""
    folder = RunFolder(path)
    if not (folder.path / "job.json").is_file() and not (folder.path / "provenance.json").is_file():
        raise DataError(f"{str(path)!r} is not a run folder (no job.json); give a folder under runs/")
    job, _ = rebuild_job(folder.read_job(), folder)
    if folder.read_provenance().get("status") == "complete":
        verify_complete(folder, {t.index for t in job.tasks()})
    return job, load_result(job, folder), folder


def check(path: str | Path) -> tuple[Job, list[Problem]]:
    """(job, problems) of the run at ``path``: missing, corrupt, stray or doubled parts, and tasks
    the job has that the run has not finished."""
    folder = RunFolder(path)
    job, _ = rebuild_job(folder.read_job(), folder)
    expected = {t.index for t in job.tasks()}
    problems = check_run(folder, expected)
    missing = sorted(expected - folder.completed_tasks())
    if missing:
        problems.append(Problem("unfinished", None, MANIFEST, f"{len(missing)} of {len(expected)} tasks not finished "
                                f"(e.g. task {missing[0]}); 'immunomet resume' runs them"))
    return job, problems


def rebuild_job(description: dict, folder: RunFolder) -> tuple[Job, str]:
    """(job, engine) from a run folder's ``job.json``; refuses if the spec file beside it was
    edited or the model changed, naming what changed."""
    kind = description.get("kind")
    if kind not in JOB_KINDS:
        raise DataError(f"{folder.path}: job.json holds kind {kind!r}, which cannot be resumed; "
                        f"resumable kinds: {', '.join(JOB_KINDS)}")
    recorded_spec = folder.read_provenance().get("spec")
    if recorded_spec is not None and first_difference(recorded_spec, description["spec"]):
        raise DataError(f"{folder.path}/job.json: {first_difference(recorded_spec, description['spec'])} against the "
                        "spec in provenance.json; job.json was edited after the run started. Restore it or start a "
                        "new run")
    _check_spec_file(folder, description)
    try:
        job = JOB_KINDS[kind](description)
    except (KeyError, TypeError) as exc:
        raise DataError(f"{folder.path}/job.json: not a {kind} job any more ({exc}); restore it or start a new "
                        "run") from None
    recorded = folder.read_provenance().get("model_hash")
    model_hash = job.plan.model.hash
    if recorded and recorded != model_hash:
        raise DataError(f"{folder.path}: the model changed since this run started (model hash {recorded} -> "
                        f"{model_hash}, e.g. another immunomet version); start a new run instead")
    return job, description["engine"]


def _study_job(description: dict) -> StudyJob:
    plan = plan_study(parse_study(description["spec"])).with_engine(description["engine"])
    return StudyJob(plan.with_pairing(bool(description.get("paired", False))), int(description["chunk_size"]))


def _trial_job(description: dict) -> TrialJob:
    plan = plan_trial(parse_trial(description["spec"]), engine=description["engine"])
    return TrialJob(plan, int(description["chunk_size"]))


JOB_KINDS: dict[str, Callable[[dict], Job]] = {"study": _study_job, "trial": _trial_job}
_SPEC_PARSERS = {"study": parse_study, "trial": parse_trial}


def _check_spec_file(folder: RunFolder, description: dict) -> None:
    kind = description["kind"]
    file = folder.path / f"{kind}.yaml"
    if not file.is_file():
        return
    try:
        edited = _SPEC_PARSERS[kind](yaml.safe_load(file.read_text()), str(file)).model_dump(mode="json")
    except yaml.YAMLError as exc:
        raise DataError(f"{file}: not valid YAML any more ({str(exc).splitlines()[0]})") from None
    difference = first_difference(description["spec"], edited)
    if difference:
        raise DataError(f"{file}: {difference} since the run started; resume runs the study as it was started "
                        f"(job.json). Undo the edit, or run the edited study as a new run")


def first_difference(old, new, where: str = "") -> str:
    """A sentence naming the first field where two JSON-like values differ, or "" if equal."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                return f"{where + '.' if where else ''}{key} was removed"
            if key not in old:
                return f"{where + '.' if where else ''}{key} was added"
            found = first_difference(old[key], new[key], f"{where + '.' if where else ''}{key}")
            if found:
                return found
        return ""
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return f"{where} changed length ({len(old)} -> {len(new)})"
        for i, (a, b) in enumerate(zip(old, new)):
            found = first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        return ""
    return "" if old == new else f"{where} changed ({old!r} -> {new!r})"
