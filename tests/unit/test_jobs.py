"""The run core: one runner, any executor and chunk size, the same tables; bugs raise; resume."""
import pandas as pd
import pytest

from immunomet.jobs import MapJob, make_executor, run_job
from immunomet.jobs.core import Task
from immunomet.store import RunFolderSink, load_result
from immunomet.studies import StudyJob, parse_study, plan_study

STUDY = {"name": "core", "seed": 5, "animals_per_arm": 5, "readout_days": [10, 14], "follow_up": 14,
         "arms": [{"name": "WT"}, {"name": "KO", "genotype": "il6-ko"}]}
TABLES = ("animals", "readouts", "timecourses", "parameters")


@pytest.fixture(scope="module")
def plan():
    return plan_study(parse_study(STUDY)).with_engine("batch")


@pytest.fixture(scope="module")
def reference(plan):
    return run_job(StudyJob(plan, chunk_size=5))


@pytest.mark.parametrize("kind, chunk", [("inline", 1), ("threads", 2), ("processes", 3)])
def test_every_executor_and_chunk_size_gives_the_same_tables(plan, reference, kind, chunk):
    with make_executor(kind, workers=2) as executor:
        result = run_job(StudyJob(plan, chunk_size=chunk), executor=executor)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(result, name), getattr(reference, name))


def test_tables_are_columnar_with_units_and_one_row_per_animal_and_day(reference):
    assert len(reference.animals) == 10 and set(reference.animals["status"]) == {"success"}
    assert len(reference.readouts) == 20 and {"visible_nodules", "perforin_of_cd8"} <= set(reference.readouts)
    assert list(reference.timecourses["day"].unique()) == [float(d) for d in range(15)]
    long = reference.tidy_readouts()
    assert set(long.loc[long["readout"] == "serum_il6", "unit"]) == {"pg/mL"}


class _Bug(Exception):
    pass


def _fails_on_two(item):
    if item == 2:
        raise _Bug("a bug in a task")
    return pd.DataFrame({"item": [item]})


def test_a_task_that_raises_stops_the_run_and_is_not_a_row_of_data(tmp_path):
    job = MapJob("bug", _fails_on_two, (0, 1, 2, 3))
    with pytest.raises(_Bug):
        run_job(job)
    assert run_job(MapJob("fine", _fails_on_two, (0, 1, 3)))["item"].tolist() == [0, 1, 3]


class _KilledAfter(RunFolderSink):
    """A run folder sink whose process 'dies' after ``n`` tasks."""

    n = 2

    def write(self, task: Task, tables) -> None:
        if len(self.done()) >= self.n:
            raise KeyboardInterrupt
        super().write(task, tables)


def test_a_run_interrupted_mid_way_resumes_to_the_same_tables(plan, reference, tmp_path):
    job = StudyJob(plan, chunk_size=2)
    killed = _KilledAfter.create(job, tmp_path, tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        run_job(job, sink=killed)
    folder = killed.folder
    assert folder.read_provenance()["status"] == "interrupted" and folder.completed_tasks() == {0, 1}
    assert len(load_result(job, folder).animals) == 4  # a reader sees only finished tasks
    resumed = run_job(job, sink=RunFolderSink.reopen(job, folder))
    assert folder.read_provenance()["status"] == "complete" and folder.completed_tasks() == set(range(6))
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(resumed, name), getattr(reference, name))


def _count(item, tick):
    for _ in range(item):
        if tick is not None:
            tick(1)
    return pd.DataFrame({"steps": [item]})


def test_ticks_from_inside_tasks_reach_the_progress_bar(capsys):
    job = MapJob("ticks", _count, (3, 4), "step", (3, 4), reports_ticks=True)
    assert run_job(job, progress=True)["steps"].tolist() == [3, 4]
    assert "7/7" in capsys.readouterr().err


def test_a_run_can_be_cancelled_between_tasks(plan, tmp_path):
    import threading

    from immunomet.jobs import Cancelled

    job, cancel, seen = StudyJob(plan, chunk_size=1), threading.Event(), []

    def progress(done, total):
        seen.append((done, total))
        cancel.set()

    sink = RunFolderSink.create(job, tmp_path, tmp_path / "run")
    with pytest.raises(Cancelled):
        run_job(job, sink=sink, cancel=cancel, on_progress=progress)
    assert seen == [(1, 10)] and sink.folder.read_provenance()["status"] == "interrupted"
    assert sink.folder.completed_tasks() == {0}
