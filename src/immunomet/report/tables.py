"""Tables for the report, as HTML: short ones that fit the page, the full ones behind a toggle.

``html_table`` renders any DataFrame; the ``*_compact`` functions pick and format the columns a
reader needs first (with units), and ``provenance_summary`` the lines of provenance that identify
a run. Rendering only: every number comes from a result object or an analysis table."""
from __future__ import annotations

import html
import json

import numpy as np
import pandas as pd

from ..studies.plotting import arm_genotypes, arm_treatments, genotype_label, stars
from ..studies.result import SUMMARY_READOUTS

COMPACT_READOUTS = ("visible_nodules", "tumour_volume", "liver_weight", "tumour_area", "perforin_of_cd8",
                    "mhc2hi_of_dc", "pdl1_mfi", "serum_il6")


def fmt(v) -> str:
    """A cell as text: 3 significant digits, '-' for NaN, ints as ints."""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "-" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
    return "" if v is None else str(v)


def html_table(df: pd.DataFrame | None, status_col: str | None = None, cls: str = "") -> str:
    """A DataFrame as an HTML table (status cells coloured PASS/FAIL/NOT RUN)."""
    if df is None or df.empty:
        return '<p class="note">nothing to show</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, rec):
            numeric = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
            css = f' class="{str(v).replace(" ", "")}"' if col == status_col else (' class="n"' if numeric else "")
            cells.append(f"<td{css}>{html.escape(fmt(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='wide'><table class='{cls}'><tr>{head}</tr>{''.join(rows)}</table></div>"


def details(summary: str, body: str) -> str:
    """A collapsed block: ``summary`` is shown, ``body`` on a click."""
    return f"<details><summary>{html.escape(summary)}</summary>{body}</details>"


def summary_compact(result) -> pd.DataFrame:
    """Per arm and readout day: genotype, treatment, animals, key readouts with units, deaths and
    median survival (nodules: median; other readouts: mean)."""
    table = result.summary()
    genotypes, treatments = arm_genotypes(result), arm_treatments(result)
    out = pd.DataFrame({"part": table["part"], "arm": table["arm"],
                        "genotype": table["arm"].map(lambda a: genotype_label(genotypes.get(a, ""))),
                        "treatment": table["arm"].map(treatments), "n": table["n"]})
    read = table["day"].notna()
    out["day"] = table["day"].map(lambda d: f"{d:g}" if np.isfinite(d) else "-")
    out["measured"] = np.where(read, table["measured"], 0).astype(int)
    for name in COMPACT_READOUTS:
        if name in table and table[name].notna().any():
            label, form = SUMMARY_READOUTS.get(name, (name, "{:.3g}"))
            out[label] = table[name].map(lambda v, f=form: f.format(v) if np.isfinite(v) else "-")
    if table["deaths"].any() or (table["part"] == "survival").any():
        out["deaths"] = table["deaths"]
        out["median survival (d)"] = table["median_survival"].map(lambda v: f"{v:.1f}" if np.isfinite(v) else "-")
    if table["failed"].any():
        out["failed"] = table["failed"]
    return out


def findings_compact(table: pd.DataFrame) -> pd.DataFrame:
    """One row per criterion: comparison, expected direction, effect [95% CI], Holm p with stars, n."""
    if table.empty:
        return table
    rows = []
    for r in table.to_dict("records"):
        if not isinstance(r.get("readout"), str):
            rows.append({"finding": r["finding"], "status": r["status"], "comparison": r.get("note", ""),
                         "readout": "", "expected": "", "effect [95% CI]": "", "p (Holm)": "", "n": ""})
            continue
        tested = r["direction"] != "similar"
        p = r.get("p_adjusted", np.nan)
        rows.append({"finding": r["finding"], "status": r["status"],
                     "comparison": f"{r['arm']} vs {r['reference']}", "readout": r["readout"].replace("_", " "),
                     "expected": r["direction"],
                     "effect [95% CI]": f"{r['effect']} {fmt(r['estimate'])} [{fmt(r['low'])}, {fmt(r['high'])}]",
                     "p (Holm)": f"{p:.2g} {stars(p)}" if tested else "bound, no test",
                     "n": f"{int(r['n_arm'])}/{int(r['n_ref'])}"})
    return pd.DataFrame(rows)


def power_compact(power: pd.DataFrame) -> pd.DataFrame:
    """Comparison, readout, effect in the pools, power at 5 and 8 animals, animals needed."""
    out = pd.DataFrame({"comparison": power["comparison"], "readout": power["readout"].str.replace("_", " "),
                        "arm vs reference": power["arm"] + " vs " + power["reference"],
                        "effect in the pools": power["effect"]})
    for n in (5, 8):
        if f"power_n{n}" in power:
            out[f"power at n={n}"] = power[f"power_n{n}"].map(lambda v: f"{100 * v:.0f}%" if np.isfinite(v) else "-")
    out["animals per arm for 80%"] = power["needed_text"] if "needed_text" in power else power["animals_needed"]
    return out


PROVENANCE_LINES = (("run", ("run_id",)), ("status", ("status",)), ("study", ("study", "trial", "name")),
                    ("created / finished", ("created", "finished")), ("wall time (s)", ("wall_seconds",)),
                    ("model", ("model", "model_hash")), ("seed", ("seed",)), ("animals", ("animals", "individuals")),
                    ("engine", ("engine", "workers", "scheduler")),
                    ("immunomet / python / numpy / numba", ("immunomet_version", "python", "numpy", "numba")))


def provenance_summary(prov: dict) -> str:
    """The lines that identify a run (a definition list), then the whole provenance JSON behind a
    toggle (the model parameters and the study spec included)."""
    items = []
    for label, keys in PROVENANCE_LINES:
        values = [str(prov[k]) for k in keys if prov.get(k) not in (None, "")]
        if values:
            items.append(f"<dt>{html.escape(label)}</dt><dd>{html.escape(' / '.join(dict.fromkeys(values)))}</dd>")
    variability = prov.get("variability") or {}
    if variability:
        varied = variability.get("parameters")
        count = len(varied) if isinstance(varied, list) else varied
        items.append(f"<dt>variability</dt><dd>spread {variability.get('spread')} over {count} parameters</dd>")
    for key, label in (("measurement_noise", "measurement noise"), ("humane_endpoint", "humane end point")):
        if prov.get(key):
            text = ", ".join(f"{k} {fmt(v)}" for k, v in prov[key].items())
            items.append(f"<dt>{label}</dt><dd>{html.escape(text)}</dd>")
    body = html.escape(json.dumps(prov, indent=1, default=str))
    return f"<dl class='prov'>{''.join(items)}</dl>" + details("provenance.json (every value)", f"<pre>{body}</pre>")
