"""HTML for virtual patients: the DFS-by-IL-6 section of the run report (F8) and the trial report."""
from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ..analysis.dfs import dfs_by_il6, dfs_by_serum_il6
from . import patient_figures
from .html import _CSS, _png, _section, _table
from .tables import provenance_summary

TRIAL_SECTIONS = ("summary", "design", "dfs", "comparisons", "power", "provenance")


def patients_section(patients: pd.DataFrame, plan, published: pd.DataFrame) -> str:
    """KM by IL-6 stratum, DFS at 1/3/5 years, HR, the covariate and the published cohorts."""
    dfs = dfs_by_il6(patients)
    hr = dfs["hr"]
    serum = dfs_by_serum_il6(patients, plan.population.high_fraction)
    cutoff = plan.population.il6_cutoff(plan.model)
    shown = published.drop(columns=["hr", "hr_low", "hr_high"], errors="ignore").replace(
        "not given in PARAMETERS.md", "not given")
    return (f"<p>{len(patients)} virtual patients after resection of a colorectal primary, untreated, followed "
            f"{plan.arms[0].protocol.days / 365.25:g} years (built-in trial <code>dfs_by_il6</code>, seed {plan.seed}). "
            "Relapse: the first liver metastasis reaching about 1 cm (5e8 cells). IL-6 high: tumour IL-6 above "
            f"{cutoff:.3g} pg/cell/day, the top {100 * plan.population.high_fraction:.0f}% of the population.</p>"
            + _png(patient_figures.dfs_by_il6_figure(patients, hr, serum)) + _table(dfs["dfs"])
            + f"<p>Cox HR (IL-6 high vs low) {hr['hr']:.2f} (95% CI {hr['hr_low']:.2f}-{hr['hr_high']:.2f}), "
              f"log-rank p = {hr['logrank_p']:.2g}.{_serum_note(serum)}</p>"
            + _png(patient_figures.il6_covariate_figure(patients, cutoff))
            + "<h3>Beside the published cohorts (docs/patients.md)</h3><p class='note'>One model and one virtual cohort; "
              "each row splits it by what that cohort measured (tumour IL-6, or a serum IL-6 sample) at that "
              "cohort's share of IL-6-high patients and draws virtual cohorts of its size. Padova and Li report "
              "overall survival, the model DFS: compare directions there.</p>" + _table(shown))


def _serum_note(serum: dict | None) -> str:
    if serum is None:
        return ""
    hr = serum["hr"]
    return (f" Split instead by a postoperative serum IL-6 sample (day 7, top share; Feng 2023's measure): HR "
            f"{hr['hr']:.2f} ({hr['hr_low']:.2f}-{hr['hr_high']:.2f}), log-rank p = {hr['logrank_p']:.2g}. Serum "
            "IL-6 after resection reflects mostly the host's own IL-6, so it separates relapse far less than tumour "
            "IL-6 does (docs/patients.md).")


def build_trial_report(result, plan, comparisons: pd.DataFrame, path: str | Path) -> Path:
    """One self-contained HTML file for a virtual trial."""
    prov = result.provenance
    arms = result.arms
    body = [f"<h1>immunomet virtual trial: {html.escape(str(prov.get('trial')))}</h1>",
            "<nav>" + "".join(f'<a href="#{s}">{s}</a>' for s in TRIAL_SECTIONS) + "</nav>"]
    failed = int((result.patients["status"] != "success").sum())
    body.append(_section("summary", "Summary", f"<p>{len(result.patients)} virtual patients in {len(arms)} arms, "
                         f"{failed} failed; seed {prov.get('seed')}; model {prov.get('model_hash')}; "
                         f"{'paired (the same patients in every arm)' if prov.get('paired') else 'randomised'}.</p>"
                         + _table(result.summary())))
    design = [{"arm": a.name, "treatments": "; ".join(
        f"{t.agent} {t.amount / 1e3:g} mg {t.route} x{len(t.days)} (days {t.days[0]:g}-{t.days[-1]:g})"
        for t in a.protocol.treatments) or "none"} for a in plan.arms]
    body.append(_section("design", "Design", _table(pd.DataFrame(design))))
    body.append(_section("dfs", "Disease-free survival by arm and IL-6 stratum",
                         _png(patient_figures.trial_km_figure(result.patients, arms))))
    shown = comparisons.drop(columns=["control"], errors="ignore")
    body.append(_section("comparisons", "Each arm vs control", _png(patient_figures.forest_figure(comparisons))
                         + _table(shown.drop(columns=["patients_per_arm", "schoenfeld_per_arm"], errors="ignore"))))
    power_cols = ["arm", "subgroup", "hr", "patients_per_arm", "schoenfeld_per_arm"]
    body.append(_section("power", f"Patients per arm for {100 * plan.power:.0f}% power",
                         "<p class='note'>Trials of n patients per arm drawn from the simulated arms (with "
                         "replacement beyond their size), log-rank at two-sided alpha 0.05; Schoenfeld's formula "
                         "from the simulated HR and relapse share beside it. '-': more than 3000 per arm.</p>"
                         + _table(comparisons[[c for c in power_cols if c in comparisons]])))
    body.append(_section("provenance", "Provenance", provenance_summary(prov)))
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>immunomet trial "
            f"{html.escape(str(prov.get('trial')))}</title><style>{_CSS}</style></head><body>{''.join(body)}"
            "</body></html>")
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out
