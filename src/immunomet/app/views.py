"""What the app's pages show, as HTML strings from result objects (no web framework here): a
finished study, the catalog of runs, one run, one mouse, a task's progress."""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path


from ..analysis.findings import check_findings, findings_table
from ..errors import ImmunometError
from ..report.tables import findings_compact, html_table, provenance_summary, summary_compact
from ..store import Catalog, open_run
from ..studies import StudyJob
from .background import CANCELLED, DONE, FAILED, Snapshot

RUN_COLUMNS = {"run_id": "run", "status": "status", "individuals": "animals", "seed": "seed", "created": "created (UTC)"}


def png(fig, alt: str, element_id: str = "") -> str:
    """A matplotlib Figure as an inline PNG (the Figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return png_bytes(buf.getvalue(), alt, element_id)


def png_bytes(data: bytes, alt: str, element_id: str = "") -> str:
    ident = f' id="{element_id}"' if element_id else ""
    return (f'<img{ident} alt="{html.escape(alt)}" style="max-width:100%" '
            f'src="data:image/png;base64,{base64.b64encode(data).decode()}">')


def progress_html(snap: Snapshot | None, element_id: str) -> str:
    """A progress bar and one status line (``data-state`` says queued/running/done/cancelled/failed)."""
    if snap is None:
        return ""
    counted = f" {snap.done} of {snap.total}" if snap.total else ""
    text = {DONE: snap.message, CANCELLED: snap.message, FAILED: f"error: {snap.message}"}.get(
        snap.state, f"{snap.state}{counted}")
    css = "text-danger" if snap.state == FAILED else ""
    return (f'<div id="{element_id}" data-state="{snap.state}" data-done="{snap.done}" data-total="{snap.total}">'
            f'<progress max="1" value="{snap.fraction if not snap.finished or snap.state != DONE else 1:.3f}" '
            f'style="width:100%"></progress><div class="{css}">{html.escape(text)}</div></div>')


def study_result_html(result, folder) -> str:
    """A finished study: where it is, the per-arm table (as the report shows it) and its figure."""
    prov = result.provenance
    figure = folder.path / "figure.png"
    picture = png_bytes(figure.read_bytes(), "study figure", "result-figure") if figure.is_file() else ""
    return (f'<p id="result-run" data-seed="{prov.get("seed")}" data-study="{html.escape(str(prov.get("study")))}">'
            f"<b>{html.escape(str(prov.get('study')))}</b>: {len(result.animals)} virtual mice, {result.n_failed} "
            f"failed, seed {prov.get('seed')}, model {prov.get('model_hash')}. Run folder "
            f"<code>{html.escape(str(folder.path))}</code>.</p>"
            f'<div id="result-summary">{html_table(summary_compact(result))}</div>{picture}')


def runs_table_html(root: str | Path) -> str:
    """The catalog of runs under ``root`` (newest first)."""
    table = Catalog(root).runs()
    if table.empty:
        return f"<p>No runs in <code>{html.escape(str(root))}</code> yet.</p>"
    table = table.sort_values("created", ascending=False).reset_index(drop=True)
    table["created"] = table["created"].astype(str).str.slice(0, 16).str.replace("T", " ")
    return html_table(table[[c for c in RUN_COLUMNS if c in table]].rename(columns=RUN_COLUMNS))


def run_choices(root: str | Path) -> dict[str, str]:
    """{path: label} of the runs in the catalog, newest first."""
    table = Catalog(root).runs()
    if table.empty:
        return {}
    table = table.sort_values("created", ascending=False)
    return {str(p): f"{r} ({s})" for p, r, s in zip(table["path"], table["run_id"], table["status"])}


def run_detail_html(path: str | Path, report_url: str | None) -> str:
    """One run: provenance, its per-arm table and figure, the findings that apply to it, and a
    link to its report if it has one. A damaged or foreign folder is one line, not a traceback."""
    try:
        job, result, folder = open_run(path)
    except ImmunometError as exc:
        return f'<p class="text-danger">{html.escape(str(exc))}</p>'
    parts = [provenance_summary(result.provenance)]
    if isinstance(job, StudyJob):
        status = result.provenance.get("status")
        if status != "complete":
            parts.insert(0, f"<p><b>This run is {html.escape(str(status))}</b>: 'Resume' runs its missing chunks.</p>")
        if len(result.animals):
            parts.append("<h6>Per arm</h6>" + html_table(summary_compact(result)))
            parts.append(_findings_html(result, job.plan))
        figure = folder.path / "figure.png"
        if figure.is_file():
            parts.append(png_bytes(figure.read_bytes(), "run figure"))
    if report_url:
        parts.insert(0, f'<p><a id="report-link" href="{html.escape(report_url)}" target="_blank">open report.html'
                        "</a></p>")
    return "".join(parts)


def _findings_html(result, plan) -> str:
    findings = [f for f in check_findings(result, plan) if f.status != "NOT RUN"]
    if not findings:
        return "<p class='text-muted'>None of the findings F1-F9 applies to this run's arms.</p>"
    return "<h6>Findings</h6>" + html_table(findings_compact(findings_table(findings)), "status")


def mouse_html(result, figure_html: str, endpoint_line: str) -> str:
    """One mouse: its printed summary (as ``immunomet simulate`` prints it), the end-point line and
    its trajectories."""
    return (f'<pre id="mouse-summary">{html.escape(str(result))}\n  {html.escape(endpoint_line)}</pre>'
            + figure_html)


def error_html(errors: dict[str, str], key: str) -> str:
    message = errors.get(key)
    return f'<div class="field-error text-danger small" id="error-{key}">{html.escape(message)}</div>' if message else ""
