"""``result.md`` of a validation experiment: the verdict, each check's effect size and p, the
date, the software and model versions, and a digest of the pre-registered files it was run from."""
from __future__ import annotations

import numpy as np

from ..provenance import software_versions, utc_now


def result_markdown(experiment, suite) -> str:
    """The result.md text of one ExperimentResult of a SuiteResult."""
    e = experiment
    versions = software_versions()
    lines = [f"# Result: {e.name}", "",
             f"**Verdict: {e.verdict}**" + (f" ({e.reason})" if e.reason else ""), "",
             "Written by `immunomet.analysis.validation_suite.run_suite`; do not edit by hand.", ""]
    if suite.note:
        lines += [f"> {suite.note}", ""]
    lines += ["| | |", "|---|---|",
              f"| date (UTC) | {utc_now()} |",
              f"| immunomet | {versions.get('immunomet_version', '?')} (Python {versions.get('python', '?')}) |",
              f"| default model | {suite.model} ({suite.model_hash}) |",
              f"| criterion + study files (SHA-256, first 12) | {e.digest or '-'} |",
              f"| run time | {e.seconds:.1f} s |"]
    for name, s in e.studies.items():
        arms = ", ".join(f"{a} {n}" for a, n in s["arms"].items())
        lines.append(f"| {name} | study {s['study']}, model hash {s['model_hash']}, seed {s['seed']}, "
                     f"{s['animals']} animals ({s['failed']} failed): {arms} |")
    lines += ["", f"Claim: {e.claim}", "", f"Source: {e.source}", ""]
    if e.checks:
        lines += ["| check | kind | verdict | effect | p | alpha |", "|---|---|---|---|---|---|"]
        for c in e.checks:
            p = f"{c.p:.3g}" if np.isfinite(c.p) else "-"
            alpha = c.detail.get("alpha", "-")
            lines.append(f"| {c.id} | {c.kind} | {c.verdict} | {c.effect or c.reason} | {p} | {alpha} |")
        lines += ["", "Details:", ""]
        lines += [f"- {c.id}: " + _detail_text(c) for c in e.checks]
    return "\n".join(lines) + "\n"


def _detail_text(check) -> str:
    d = check.detail
    if not d:
        return check.reason or "-"
    parts = []
    if "n_arm" in d:
        parts.append(f"n {d.get('arm')} {d['n_arm']}, {d.get('reference')} {d['n_reference']}")
    if d.get("readout"):
        parts.append(f"{d['readout']} on day {d['day']:g}")
    if "rank_biserial" in d:
        parts.append(f"rank-biserial {d['rank_biserial']:.2f}")
    set_a, set_r = d.get("at_end_point_arm", 0), d.get("at_end_point_reference", 0)
    if set_a or set_r:
        parts.append(f"past the humane end point before the readout, counted as the day's largest: "
                     f"{set_a} ({d.get('arm')}), {set_r} ({d.get('reference')})")
    if d.get("wanted_ratio") is not None:
        parts.append(f"ratio of medians wanted in {list(d['wanted_ratio'])}")
    if d.get("margin") is not None:
        parts.append(f"equivalence margin {list(d['margin'])} (TOST)")
    if d.get("hr_note"):
        parts.append(d["hr_note"])
    if "logrank_chi2" in d:
        parts.append(f"log-rank chi2 {d['logrank_chi2']:.2f}")
    if "value" in d:
        parts.append(f"{d['statistic']} = {d['value']:.3g}, wanted in {list(d['range'])}")
    return "; ".join(parts)
