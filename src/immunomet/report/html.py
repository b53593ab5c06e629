"""``immunomet report RUN``: one self-contained HTML file (figures inlined as PNG) a biologist can
open anywhere: findings, survival, nodules, flow, time courses, power, provenance, references."""
from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.groups import last_common_day
from ..studies.plotting import survival_arms
from . import figures
from .tables import details, findings_compact, html_table, power_compact, provenance_summary, summary_compact

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
    "immunomet's docs/patients.md.",
    "Schoenfeld DA. Sample-size formula for the proportional-hazards regression model. Biometrics 1983;39:499-503.",
)
_CSS = """body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.7em}h2{border-bottom:2px solid #1b6ca8;padding-bottom:.2em;
margin-top:2em}table{border-collapse:collapse;font-size:.82em;margin:.6em 0}td,th{border:1px solid #ccc;
padding:.2em .45em;text-align:left;vertical-align:top}th{background:#eef3f8}td.n{text-align:right}
.PASS{background:#dff3e3;font-weight:bold}.FAIL{background:#f8d7d7;font-weight:bold}.NOTRUN{background:#eee}
img{max-width:100%}.wide{overflow-x:auto;max-width:100%}nav a{margin-right:1em}.note{color:#555;font-size:.9em}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:.8em;max-height:40em}
details{margin:.5em 0}summary{cursor:pointer;color:#1b6ca8}dl.prov{display:grid;grid-template-columns:max-content auto;
gap:.15em 1em;font-size:.9em}dl.prov dt{font-weight:bold}dl.prov dd{margin:0}figure{margin:.8em 0}
figcaption{color:#444;font-size:.88em;max-width:60em}"""


def _png(fig, caption: str = "") -> str:
    """A Figure as an inline PNG (closed afterwards), with an optional caption."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, pil_kwargs={"compress_level": 3})
    plt.close(fig)
    img = f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'
    return f"<figure>{img}<figcaption>{html.escape(caption)}</figcaption></figure>" if caption else img


_table = html_table
_DOI = re.compile(r"10\.\d{4,9}/[^\s,;]+")


def _section(key: str, title: str, body: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{body}</section>'


def findings_display(table: pd.DataFrame) -> pd.DataFrame:
    """Every column of the criteria table a reader may want, in reading order."""
    cols = ["finding", "status", "note", "readout", "day", "reference", "arm", "direction", "effect", "estimate",
            "low", "high", "median_ref", "median_arm", "test", "statistic", "p", "p_adjusted", "n_ref", "n_arm"]
    return table[[c for c in cols if c in table]]


def build_report(result, plan, findings, power: pd.DataFrame | None, path: str | Path,
                 patients_html: str | None = None, replication=None) -> Path:
    """Write the report of ``result`` (StudyResult of ``plan``) with the findings checklist
    (``analysis.findings.check_findings``), a power table and, if given, the patient cohort's
    section (``patients_html``) to ``path``."""
    prov = result.provenance
    parts = {a.name: a.part for a in plan.arms}
    surv_arms = survival_arms(result)
    read_arms = [a for a in result.arms if parts.get(a) != "survival"]
    marks = figures.finding_marks(findings)
    body = [f"<h1>immunomet report: {html.escape(str(prov.get('study')))}</h1>",
            "<nav>" + "".join(f'<a href="#{s}">{s}</a>' for s in SECTIONS) + "</nav>",
            _section("summary", "Summary", _summary_html(result, findings)),
            _section("mechanism", "The mechanism", _png(figures.mechanism_figure())),
            _section("findings", "Findings F1-F9", _findings_html(findings) + _replication_html(replication)),
            _section("survival", "Survival (Kaplan-Meier)", _survival_html(result, surv_arms, marks)),
            _section("colonisation", "Nodules and liver weight",
                     _readouts_html(result, figures.COLONISATION_PANELS, read_arms, marks)),
            _section("flow", "Flow cytometry of the foci", _readouts_html(result, figures.FLOW_PANELS, read_arms, marks)),
            _section("timecourses", "Time courses", _timecourses_html(result, surv_arms or read_arms)),
            _section("patients", "Patients: disease-free survival by tumour IL-6 (F8)", patients_html or
                     '<p class="note">no virtual patient cohort in this run (<code>immunomet reproduce</code> '
                     'runs one)</p>'),
            _section("power", "Power: animals per arm", _power_html(power)),
            _section("provenance", "Provenance", provenance_summary({k: v for k, v in prov.items()})),
            _section("references", "References", _references_html(plan))]
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>immunomet report "
            f"{html.escape(str(prov.get('study')))}</title><style>{_CSS}</style></head><body>{''.join(body)}"
            "</body></html>")
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out


def _summary_html(result, findings) -> str:
    prov = result.provenance
    verdicts = pd.DataFrame([{"finding": f.id, "status": f.status, "statement": f.finding.statement,
                              "note": f.reason} for f in findings])
    full = result.summary().drop(columns=["failed"], errors="ignore").dropna(axis=1, how="all")
    return (f"<p>{len(result.animals)} virtual mice, {result.n_failed} failed; seed {prov.get('seed')}; model "
            f"{prov.get('model_hash')}; engine {prov.get('engine')}.</p>" + html_table(verdicts, "status")
            + "<h3>Per arm</h3><p class='note'>Nodules: median; other readouts: mean of the mice measured on that "
              "day.</p>" + html_table(summary_compact(result))
            + details("every readout, per arm and day", html_table(full)))


def _findings_html(findings) -> str:
    from ..analysis.findings import findings_table

    table = findings_table(findings) if findings else pd.DataFrame()
    return ("<p class='note'>Each criterion: arm vs reference. 'Higher' / 'lower': Mann-Whitney U (exact p for "
            "groups of 8 or fewer) with the ratio of medians; 'longer': log-rank with the Cox HR; 'similar': an "
            "equivalence test (two one-sided tests) against a margin stated beforehand (nodules: ratio within "
            "0.71-1.41; survival: restricted mean survival within 0.91-1.10), so that a small study cannot pass it "
            "by being underpowered. Every p is Holm-adjusted within its finding; alpha 0.05. n: arm/reference. "
            "Findings that hold by the model's construction say so.</p>"
            + html_table(findings_compact(table), "status")
            + details("every column (medians, statistics, unadjusted p)", html_table(findings_display(table), "status")))


def _replication_html(replication) -> str:
    """Beside each verdict: how often a replicate experiment of the study's design reproduces it."""
    if replication is None:
        return ("<h3>Replication</h3><p class='note'>not estimated for this run (<code>immunomet validate RUN</code> "
                "gives it)</p>")
    at = replication.at()
    rows = []
    for r in at.to_dict("records"):
        need = replication.needs[replication.needs["finding"] == r["finding"]]
        rows.append({"finding": r["finding"], "group size": r["group_size"],
                     "replicates": f"{100 * r['probability']:.0f}% [{100 * r['low']:.0f}-{100 * r['high']:.0f}]",
                     "needs for 80%": need["needed_text"].iloc[0] if len(need) else ""})
    note = (f"<p class='note'>The probability that a replicate experiment at this design reproduces each finding "
            f"(PASS by the same tests): {replication.reps} experiments drawn from {replication.pool} simulated "
            "animals per arm; 95% interval including the pool's own sampling error. A finding below 80% gives the "
            "group size at which it reaches 80%.</p>")
    return "<h3>Replication</h3>" + note + html_table(pd.DataFrame(rows))


def _survival_html(result, arms: list[str], marks: dict) -> str:
    from ..analysis.survival import cox_hazard_ratio, logrank_overall, logrank_pairwise, survival_table

    if not arms:
        return '<p class="note">no survival arms</p>'
    chi2, p, dof = logrank_overall(result.animals, arms)
    hrs = pd.DataFrame([cox_hazard_ratio(result.animals, a, arms[0]).as_row() for a in arms[1:]])
    caption = ("Kaplan-Meier estimate of survival to the humane end point; each curve ends at its arm's last "
               "observation, | marks a mouse censored alive at the end of follow-up; numbers at risk below. "
               f"Overall log-rank chi2 = {chi2:.2f}, df = {dof}, p = {p:.3g}.")
    return (_png(figures.survival_figure(result, arms, marks), caption)
            + html_table(survival_table(result.animals, arms))
            + details("pairwise log-rank tests (Holm) and Cox hazard ratios",
                      html_table(logrank_pairwise(result.animals, arms))
                      + f"<p>Cox hazard ratios vs {html.escape(arms[0])}</p>" + html_table(hrs)))


def _readouts_html(result, panels, arms: list[str], marks: dict) -> str:
    day = last_common_day(result.wide(), arms)
    if not np.isfinite(day):
        return '<p class="note">no readouts in this run</p>'
    caption = (f"Day {day:g} (the last readout day on which every read arm has measured mice): one dot per mouse, "
               "bar at the median. Brackets: the findings' Mann-Whitney U tests, Holm-adjusted within each finding.")
    return _png(figures.dots_figure(result, list(panels), arms, day, marks), caption)


def _timecourses_html(result, arms: list[str]) -> str:
    caption = ("Median (line) and 10-90% (band) of the animals of each arm still alive; a curve ends (x) when half "
               "of its arm has reached the humane end point.")
    return _png(figures.timecourse_figure(result, arms[:6]), caption)


def _power_html(power: pd.DataFrame | None) -> str:
    if power is None or power.empty:
        return '<p class="note">not computed</p>'
    pool = int(power["pool"].min())
    return ("<p class='note'>Animals per arm for 80% power (two-sided alpha 0.05), by drawing experiments from pools "
            f"of {pool} simulated animals per arm (with replacement above {pool}); <code>immunomet power --pool 60"
            "</code> refines it; see docs/statistics.md.</p>" + html_table(power_compact(power))
            + details("power at every n", html_table(power)))


def _references_html(plan) -> str:
    known = {doi for r in REFERENCES for doi in _DOI.findall(r)}
    refs = list(REFERENCES) + [r for r in plan.spec.references
                               if r not in REFERENCES and not known & set(_DOI.findall(r))]
    return "<ol>" + "".join(f"<li>{html.escape(r)}</li>" for r in refs) + "</ol>"
