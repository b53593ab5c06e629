"""The app's server: one Shiny session per browser tab, each with its own form, tasks and results.

Nothing here blocks the page: studies, reports, resumes and single mice run as ``background``
tasks, and each page polls its task's snapshot while it runs. Closing a tab cancels that tab's
running tasks (a cancelled study is an 'interrupted' run folder, resumable)."""
from __future__ import annotations

from pathlib import Path

from shiny import App, reactive, render, ui
from shiny.types import SilentException

from .background import DONE, mouse_task, report_task, resume_task, study_task
from .form import ARM_FIELDS, MAX_ARMS, STUDY_FIELDS, ArmForm, StudyForm, arm_field, check_form, check_mouse, spec_yaml
from .pages import arm_inputs, page
from .views import (error_html, mouse_html, png, progress_html, run_choices, run_detail_html, runs_table_html,
                    study_result_html)

DEFAULT_FORM = StudyForm()
MOUSE_FIELDS = ("mouse_treatments", "mouse_days", "mouse_cells", "mouse_seed")
POLL_SECONDS = 0.3


def build_app(root: str | Path) -> App:
    """The Shiny app over the runs folder ``root`` (created if missing); run folders are served
    read-only under ``/runs`` so that a run's report.html opens in the browser."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)

    def server(input, output, session):
        tasks: list = []
        session.on_ended(lambda: [t.cancel.set() for t in tasks])
        runs_changed = reactive.value(0)
        _design(input, root, tasks, runs_changed)
        _runs(input, root, tasks, runs_changed)
        _mouse(input, tasks)

    return App(page(), server, static_assets={"/runs": str(root)})


def _value(input, key: str, default: str) -> str:
    """An input's value (with a reactive dependency), or ``default`` before the browser sent it."""
    try:
        value = input[key]()
    except SilentException:
        return default
    return default if value is None else str(value)


def _error_slot(key: str, errors) -> None:
    """Register output ``err_<key>``: the message for ``key`` from ``errors()``, beside its field."""
    def slot():
        return ui.HTML(error_html(errors(), key))

    slot.__name__ = f"err_{key}"
    render.ui(slot)


def _polled(task_value):
    """A reactive snapshot of the task in ``task_value`` that refreshes while the task runs."""
    @reactive.calc
    def snapshot():
        task = task_value()
        if task is None:
            return None
        snap = task.snapshot()
        if not snap.finished:
            reactive.invalidate_later(POLL_SECONDS)
        return snap

    return snapshot


def _state_of(snapshot):
    """The task's state (None, queued, running, done ...) as a value that changes only when the
    state does, for outputs that should not redraw at every poll."""
    state = reactive.value(None)

    @reactive.effect
    def _follow():
        snap = snapshot()
        state.set(None if snap is None else (id(snap.result), snap.state))

    return state


def _design(input, root: Path, tasks: list, runs_changed) -> None:
    n_arms = reactive.value(len(DEFAULT_FORM.arms))
    run_task = reactive.value(None)

    def arm_value(i: int, name: str) -> str:
        default = DEFAULT_FORM.arms[i] if i < len(DEFAULT_FORM.arms) else ArmForm(f"arm {i + 1}", "wt", "")
        return _value(input, arm_field(i, name), getattr(default, name))

    @reactive.calc
    def form() -> StudyForm:
        arms = tuple(ArmForm(*(arm_value(i, k) for k in ARM_FIELDS)) for i in range(n_arms()))
        return StudyForm(*(_value(input, k, getattr(DEFAULT_FORM, k)) for k in STUDY_FIELDS), arms=arms)

    @reactive.calc
    def checked():
        return check_form(form())

    def errors():
        return checked().errors

    for key in STUDY_FIELDS + ("study",):
        _error_slot(key, errors)
    for i in range(MAX_ARMS):
        for name in ARM_FIELDS:
            _error_slot(arm_field(i, name), errors)

    @reactive.effect
    @reactive.event(input.add_arm)
    def _add():
        n_arms.set(min(MAX_ARMS, n_arms() + 1))

    @reactive.effect
    @reactive.event(input.remove_arm)
    def _remove():
        n_arms.set(max(1, n_arms() - 1))

    @render.ui
    def arms_ui():
        with reactive.isolate():
            arms = [ArmForm(*(arm_value(i, k) for k in ARM_FIELDS)) for i in range(n_arms())]
        return ui.TagList(*(arm_inputs(i, arm) for i, arm in enumerate(arms)))

    @render.code
    def yaml_text():
        check = checked()
        return spec_yaml(check.spec) if check.spec is not None else "# fix the fields marked in red"

    @render.download_button(filename=lambda: f"{checked().spec['name'] if checked().spec else 'study'}.yaml")
    def download_yaml():
        check = checked()
        yield spec_yaml(check.spec) if check.spec is not None else "# fix the fields marked in red\n"

    @reactive.effect
    @reactive.event(input.run)
    def _run():
        check, current = checked(), run_task()
        if current is not None and not current.snapshot().finished:
            ui.notification_show("a study is running in this tab; cancel it or wait", type="warning")
        elif not check.ok:
            ui.notification_show("the study has errors: see the fields marked in red", type="error")
        else:
            tasks.append(study_task(check.plan, root))
            run_task.set(tasks[-1])

    @reactive.effect
    @reactive.event(input.cancel)
    def _cancel():
        if run_task() is not None:
            run_task().cancel.set()

    snapshot = _polled(run_task)
    state = _state_of(snapshot)

    @render.ui
    def run_progress():
        return ui.HTML(progress_html(snapshot(), "run-status"))

    @reactive.effect
    def _announce():
        if state() is not None and state()[1] == DONE:
            with reactive.isolate():
                runs_changed.set(runs_changed() + 1)

    @render.ui
    def run_result():
        state()
        with reactive.isolate():
            snap = snapshot()
        if snap is None or snap.state != DONE:
            return None
        return ui.HTML(study_result_html(*snap.result))


def _runs(input, root: Path, tasks: list, runs_changed) -> None:
    side_task = reactive.value(None)
    snapshot = _polled(side_task)
    state = _state_of(snapshot)

    @reactive.calc
    def choices():
        input.refresh_runs()
        runs_changed()
        state()
        return run_choices(root)

    @reactive.effect
    def _update_choices():
        options = choices()
        with reactive.isolate():
            current = input.run_pick() if "run_pick" in input else None
        ui.update_select("run_pick", choices=options, selected=current if current in options else None)

    @render.ui
    def runs_table():
        choices()
        return ui.HTML(runs_table_html(root))

    @reactive.effect
    @reactive.event(input.make_report)
    def _report():
        if input.run_pick():
            tasks.append(report_task(input.run_pick()))
            side_task.set(tasks[-1])

    @reactive.effect
    @reactive.event(input.resume_run)
    def _resume():
        if input.run_pick():
            tasks.append(resume_task(input.run_pick()))
            side_task.set(tasks[-1])

    @render.ui
    def run_task_progress():
        return ui.HTML(progress_html(snapshot(), "run-task-status"))

    @render.ui
    def run_detail():
        path = input.run_pick()
        state()
        if not path:
            return ui.p("Pick a run.")
        report = Path(path) / "report.html"
        url = f"/runs/{report.relative_to(root).as_posix()}" if report.is_file() and report.is_relative_to(root) \
            else None
        return ui.HTML(run_detail_html(path, url))


def _mouse(input, tasks: list) -> None:
    mouse = reactive.value(None)
    snapshot = _polled(mouse)
    state = _state_of(snapshot)

    @reactive.calc
    def checked():
        return check_mouse(input.mouse_genotype(), input.mouse_treatments(), input.mouse_days(), input.mouse_cells(),
                           input.mouse_seed())

    for key in MOUSE_FIELDS:
        _error_slot(key, lambda: checked().errors)

    @reactive.effect
    @reactive.event(input.simulate)
    def _simulate():
        check = checked()
        if check.errors:
            ui.notification_show("fix the fields marked in red", type="error")
            return
        tasks.append(mouse_task(check.model, check.protocol, check.seed))
        mouse.set(tasks[-1])

    @render.ui
    def mouse_progress():
        return ui.HTML(progress_html(snapshot(), "mouse-status"))

    @render.ui
    def mouse_result():
        from ..report.mouse_figures import endpoint_text, mouse_figure

        state()
        with reactive.isolate():
            snap = snapshot()
        if snap is None or snap.state != DONE:
            return None
        result = snap.result
        return ui.HTML(mouse_html(result, png(mouse_figure(result), "trajectories", "mouse-figure"),
                                  endpoint_text(result)))
