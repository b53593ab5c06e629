"""``immunomet report RUN``: one self-contained HTML file (figures inlined as PNG) a biologist can
open anywhere: findings, survival, nodules, flow, time courses, power, provenance, references."""
from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.groups import last_common_day
from . import figures

SECTIONS = ("summary", "mechanism", "findings", "survival", "colonisation", "flow", "timecourses", "patients",
            "power", "provenance", "references")
REFERENCES = (
    "Toyoshima Y, Kitamura H, Xiang H, et al. IL6 modulates the immune status of the tumor microenvironment to "
    "facilitate metastatic colonization of colorectal cancer cells. Cancer Immunol Res 2019;7(12):1944-1957. "
    "doi:10.1158/2326-6066.CIR-18-0766",
    "Kendall DG. On the generalized birth-and-death process. Ann Math Stat 1948;19:1-15 (colonisation closed form).",
    "de Pillis LG, Radunskaya AE, Wiseman CL. A validated mathematical model of cell-mediated immune response to "
    "tumor growth. Cancer Res 2005;65:7950-7958 (ratio-dependent killing).",
    "Kosinsky Y, et al. Radiation and PD-(L)1 treatment combinations: immune response and dose optimization via a "
    "predictive systems model. J Immunother Cancer 2018;6:17 (CT26 growth and T-cell parameters).",
    "Davidson-Pilon C. lifelines: survival analysis in Python. J Open Source Softw 2019;4:1317 (KM, log-rank, Cox).",
    "Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat 1979;6:65-70.",
    "Feng 2023, Padova 2000, Li 2018, Shiga 2016: IL-6 and outcome in colorectal cancer cohorts, as summarised in "
    "shared/design/PARAMETERS.md (patients section).",
    "Schoenfeld DA. Sample-size formula for the proportional-hazards regression model. Biometrics 1983;39:499-503.",
)
_CSS = """body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.7em}h2{border-bottom:2px solid #1b6ca8;padding-bottom:.2em;
margin-top:2em}table{border-collapse:collapse;font-size:.85em;margin:.6em 0}td,th{border:1px solid #ccc;
padding:.25em .5em;text-align:right}th{background:#eef3f8}td:first-child,th:first-child{text-align:left}
.PASS{background:#dff3e3;font-weight:bold}.FAIL{background:#f8d7d7;font-weight:bold}.NOTRUN{background:#eee}
img{max-width:100%}.wide{overflow-x:auto}nav a{margin-right:1em}.note{color:#555;font-size:.9em}pre{background:#f6f6f6;padding:.8em;
overflow-x:auto;font-size:.8em}"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96)
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _table(df: pd.DataFrame, status_col: str | None = None) -> str:
    if df is None or df.empty:
        return '<p class="note">nothing to show</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, rec):
            text = _fmt(v)
            cls = f' class="{str(v).replace(" ", "")}"' if col == status_col else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='wide'><table><tr>{head}</tr>{''.join(rows)}</table></div>"


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "-" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
    return "" if v is None else str(v)


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{body}</section>'


def _arms_with_deaths(result) -> list[str]:
    dead = set(result.animals.loc[result.animals["death"].astype(bool), "arm"])
    return [a for a in result.arms if a in dead]


def findings_display(table: pd.DataFrame) -> pd.DataFrame:
    cols = ["finding", "status", "note", "readout", "day", "reference", "arm", "direction", "effect", "estimate",
            "low", "high", "median_ref", "median_arm", "test", "p", "p_adjusted", "n_ref", "n_arm"]
    return table[[c for c in cols if c in table]]


def build_report(result, plan, findings, power: pd.DataFrame | None, path: str | Path,
                 patients_html: str | None = None) -> Path:
    """Write the report of ``result`` (StudyResult of ``plan``) with the findings checklist
    (``analysis.findings.check_findings``), a power table and, if given, the patient cohort's
    section (``patients_html``) to ``path``."""
    from ..analysis.findings import findings_table
    from ..analysis.survival import cox_hazard_ratio, logrank_overall, logrank_pairwise, survival_table

    prov = result.provenance
    parts = {a.name: a.part for a in plan.arms}
    surv_arms = [a for a in result.arms if parts.get(a) == "survival"] or _arms_with_deaths(result)
    read_arms = [a for a in result.arms if parts.get(a) != "survival"]
    day = last_common_day(result.wide(), read_arms)
    ftable = findings_table(findings) if findings else pd.DataFrame()
    verdicts = pd.DataFrame([{"finding": f.id, "status": f.status, "statement": f.finding.statement,
                              "note": f.reason} for f in findings])
    body = [f"<h1>immunomet report: {html.escape(str(prov.get('study')))}</h1>",
            "<nav>" + "".join(f'<a href="#{s}">{s}</a>' for s in SECTIONS) + "</nav>"]
    summary = result.summary().drop(columns=["failed"], errors="ignore").dropna(axis=1, how="all")
    body.append(_section("summary", "Summary", f"<p>{len(result.animals)} virtual mice, {result.n_failed} failed; "
                         f"seed {prov.get('seed')}; model {prov.get('model_hash')}; engine {prov.get('engine')}.</p>"
                         + _table(verdicts, "status") + "<h3>Per arm</h3>" + _table(summary)))
    body.append(_section("mechanism", "The mechanism", _png(figures.mechanism_figure())))
    body.append(_section("findings", "Findings F1-F9", "<p class='note'>Each criterion: arm vs reference; "
                         "readouts by Mann-Whitney U with the ratio of medians and a 95% bootstrap CI, survival by "
                         "log-rank with the Cox HR and 95% CI; p adjusted by Holm within each finding; alpha 0.05."
                         "</p>" + _table(findings_display(ftable), "status")))
    surv_html = '<p class="note">no survival arms</p>'
    if surv_arms:
        chi2, p, dof = logrank_overall(result.animals, surv_arms)
        hrs = pd.DataFrame([cox_hazard_ratio(result.animals, a, surv_arms[0]).as_row() for a in surv_arms[1:]])
        surv_html = (_png(figures.survival_figure(result, surv_arms)) + _table(survival_table(result.animals, surv_arms))
                     + f"<p>Overall log-rank: chi2 = {chi2:.2f}, df = {dof}, p = {p:.3g}</p>"
                     + "<h3>Pairwise log-rank (Holm)</h3>" + _table(logrank_pairwise(result.animals, surv_arms))
                     + f"<h3>Cox hazard ratios vs {html.escape(surv_arms[0])}</h3>" + _table(hrs))
    body.append(_section("survival", "Survival (Kaplan-Meier)", surv_html))
    col = [("visible_nodules", "visible liver nodules"), ("liver_weight", "liver weight (g)"),
           ("tumour_area", "tumour area (%)"), ("tumour_volume", "tumour volume (mm3)"), ("serum_il6", "serum IL-6")]
    if np.isfinite(day):
        on_day = f"<p class='note'>Day {day:g}: the last readout day on which every read arm has measured mice.</p>"
        nodules_html = on_day + _png(figures.dots_figure(result, col, read_arms, day))
        flow_html = on_day + _png(figures.dots_figure(result, list(figures.FLOW_PANELS), read_arms, day))
    else:
        nodules_html = flow_html = '<p class="note">no readouts in this run</p>'
    body.append(_section("colonisation", "Nodules and liver weight", nodules_html))
    body.append(_section("flow", "Flow cytometry of the foci", flow_html))
    tc_arms = [a for a in surv_arms or read_arms][:6]
    body.append(_section("timecourses", "Time courses (median and 10-90% of each cohort)",
                         _png(figures.timecourse_figure(result, tc_arms))))
    body.append(_section("patients", "Patients: disease-free survival by tumour IL-6 (F8)", patients_html or
                         '<p class="note">no virtual patient cohort in this run (<code>immunomet reproduce</code> '
                         'runs one)</p>'))
    power_html = '<p class="note">not computed</p>'
    if power is not None and not power.empty:
        power_cols = [c for c in power.columns if not c.startswith("power_n") or c in
                      ("power_n5", "power_n8", "power_n10", "power_n15")]
        pool = int(power["pool"].min())
        power_html = ("<p class='note'>Animals per arm for 80% power (two-sided alpha 0.05), by drawing experiments "
                      f"from pools of {pool} simulated animals per arm (with replacement above {pool}); "
                      "<code>immunomet power --pool 60</code> refines it; see docs/statistics.md.</p>"
                      + _table(power[power_cols]))
    body.append(_section("power", "Power: animals per arm", power_html))
    body.append(_section("provenance", "Provenance", "<pre>" + html.escape(json.dumps(
        {k: v for k, v in prov.items() if k != "spec"}, indent=1, default=str)) + "</pre>"))
    refs = list(REFERENCES) + [r for r in plan.spec.references if r not in REFERENCES[0]]
    body.append(_section("references", "References", "<ol>" + "".join(f"<li>{html.escape(r)}</li>" for r in refs)
                         + "</ol>"))
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>immunomet report "
            f"{html.escape(str(prov.get('study')))}</title><style>{_CSS}</style></head><body>{''.join(body)}"
            "</body></html>")
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out
