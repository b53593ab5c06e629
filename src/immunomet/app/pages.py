"""The app's pages as Shiny UI: design and run a study, the runs, one mouse. Every field has an
error slot beside it (``err_<field>``) that the server fills as the user types."""
from __future__ import annotations

from shiny import ui

from .form import GENOTYPES, MAX_ARMS, ArmForm, StudyForm, arm_field

CSS = """
.field-error{margin:-.6rem 0 .6rem 0}.arm{border-left:3px solid #1b6ca8;padding-left:.7rem;margin-bottom:.6rem}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:.15em .45em;text-align:left}
th{background:#eef3f8}td.n{text-align:right}.PASS{background:#dff3e3;font-weight:bold}
.FAIL{background:#f8d7d7;font-weight:bold}pre.shiny-text-output{max-height:26rem}.wide{overflow-x:auto}
#mouse-summary{white-space:pre-wrap}dl.prov{display:grid;grid-template-columns:max-content auto;gap:.1em 1em;font-size:.9em}dl.prov dd{margin:0}
"""


def field(key: str, label: str, value: str, help_text: str = ""):
    """A text input that updates as the user types, with its error slot below."""
    return ui.div(ui.input_text(key, label, value, update_on="change", width="100%"),
                  ui.output_ui(f"err_{key}"), ui.div(help_text, class_="form-text mb-2") if help_text else None)


def arm_inputs(index: int, arm: ArmForm):
    """One arm's fields (name, genotype, treatments, one per line)."""
    name, genotype, treatments = (arm_field(index, k) for k in ("name", "genotype", "treatments"))
    return ui.div(
        ui.h6(f"Arm {index + 1}"),
        ui.input_text(name, "name", arm.name, update_on="change", width="100%"), ui.output_ui(f"err_{name}"),
        ui.input_select(genotype, "genotype", GENOTYPES, selected=arm.genotype, width="100%"),
        ui.output_ui(f"err_{genotype}"),
        ui.input_text_area(treatments, "treatments, one per line (AGENT:DOSE@dDAY,...)", arm.treatments, rows=2,
                           update_on="change", width="100%"),
        ui.output_ui(f"err_{treatments}"), class_="arm", id=f"arm-{index}")


def design_panel(form: StudyForm = StudyForm()):
    study = ui.card(
        ui.card_header("Study"),
        field("name", "name", form.name, "letters, digits, - _ . (names the run folder)"),
        ui.layout_columns(field("seed", "seed", form.seed), field("animals", "animals per arm", form.animals),
                          col_widths=(6, 6)),
        ui.layout_columns(field("follow_up", "follow-up (days)", form.follow_up),
                          field("readout_days", "readout days", form.readout_days, "e.g. 14, 21"), col_widths=(6, 6)),
        field("cells", "CT26 cells injected into the spleen", form.cells),
        ui.output_ui("arms_ui"),
        ui.div(ui.input_action_button("add_arm", "Add arm", class_="btn-sm btn-outline-primary me-2"),
               ui.input_action_button("remove_arm", "Remove last arm", class_="btn-sm btn-outline-secondary"),
               ui.div(f"at most {MAX_ARMS} arms here; longer studies run from YAML with 'immunomet run'",
                      class_="form-text")),
    )
    run = ui.card(
        ui.card_header("The study as YAML (what 'immunomet run study.yaml' runs)"),
        ui.output_ui("err_study"),
        ui.output_code("yaml_text", placeholder=False),
        ui.div(ui.download_button("download_yaml", "Download study.yaml", class_="btn-sm me-2"),
               ui.input_action_button("run", "Run study", class_="btn-sm btn-primary me-2"),
               ui.input_action_button("cancel", "Cancel", class_="btn-sm btn-outline-danger")),
        ui.output_ui("run_progress"),
        ui.output_ui("run_result"),
    )
    return ui.layout_columns(study, run, col_widths=(4, 8))


def runs_panel():
    return ui.layout_columns(
        ui.card(ui.card_header("Runs in the catalog"),
                ui.input_action_button("refresh_runs", "Refresh", class_="btn-sm mb-2"),
                ui.output_ui("runs_table")),
        ui.card(ui.card_header("One run"),
                ui.input_select("run_pick", "run", {}, width="100%"),
                ui.div(ui.input_action_button("make_report", "Write report (findings, power, figures)",
                                              class_="btn-sm btn-primary me-2"),
                       ui.input_action_button("resume_run", "Resume an interrupted run", class_="btn-sm")),
                ui.output_ui("run_task_progress"),
                ui.output_ui("run_detail")),
        col_widths=(5, 7))


def mouse_panel():
    return ui.layout_columns(
        ui.card(ui.card_header("One virtual mouse ('immunomet simulate')"),
                ui.input_select("mouse_genotype", "genotype", GENOTYPES, selected="wt"),
                ui.input_text_area("mouse_treatments", "treatments, one per line", "", rows=2, update_on="change"),
                ui.output_ui("err_mouse_treatments"),
                field("mouse_days", "days to follow", "40"),
                field("mouse_cells", "CT26 cells injected into the spleen", "1e5"),
                field("mouse_seed", "seed", "0"),
                ui.input_action_button("simulate", "Simulate", class_="btn-sm btn-primary")),
        ui.card(ui.card_header("Trajectories"), ui.output_ui("mouse_progress"), ui.output_ui("mouse_result")),
        col_widths=(3, 9))


def page():
    return ui.page_navbar(
        ui.nav_panel("Design and run", design_panel(), value="design"),
        ui.nav_panel("Runs", runs_panel(), value="runs"),
        ui.nav_panel("One mouse", mouse_panel(), value="mouse"),
        title="immunomet", id="page", header=ui.head_content(ui.tags.style(CSS)), fillable=False)
