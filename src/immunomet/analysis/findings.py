"""The findings of Toyoshima et al. 2019 (BIOLOGY.md F1-F9) as executable checks on a study run.

Each finding is a list of criteria; a criterion compares one arm with a reference arm on a
readout or on survival and states the direction the paper found: higher / lower / longer, or
similar ("about the same", "does little": an equivalence test with a stated margin). How each
is decided is ``analysis.criteria`` (the same code decides one run here and thousands of drawn
replicate experiments in ``analysis.replication``); every criterion's p-value enters the
finding's Holm correction. Arms are found by what was done to them (genotype, agents, part), not
by their names, so any run that holds the arms can be checked. The same thresholds serve every
run; nothing here touches model parameters. A finding that holds by the model's construction
says so (``Finding.construction``); its negative control (``analysis.controls``) cuts the
mechanism it rests on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arms import ArmKey, find_arm
from .criteria import SIMILAR_NODULES, SIMILAR_SURVIVAL, passes, readout_rows, survival_rows
from .dfs import HIGH, LOW, dfs_table
from .groups import compare, last_common_day
from .rowstats import holm_rows
from .survival import cox_hazard_ratio

ALPHA = 0.05


@dataclass(frozen=True)
class Criterion:
    """``arm`` against ``reference``: on ``readout`` (or "survival"), ``direction`` one of
    higher / lower / longer / similar. "similar" is an equivalence test: the ratio (arm over
    reference; readouts: Hodges-Lehmann on the log scale, survival: restricted mean survival
    time) lies within [1/bound, bound] with 95% confidence (``analysis.criteria``)."""

    readout: str
    reference: ArmKey
    arm: ArmKey
    direction: str
    bound: float = float("nan")


@dataclass(frozen=True)
class Finding:
    id: str
    statement: str
    criteria: tuple[Criterion, ...]
    source: str = "Toyoshima et al. 2019 (BIOLOGY.md)"
    cohort: str = "mice"  # "patients": checked on a virtual patient cohort (DFS by tumour IL-6)
    construction: str = ""  # why the finding holds by the model's construction, if it does

    @property
    def evaluable_on_mice(self) -> bool:
        return self.cohort == "mice"


WT, KO = "wt", "il6-ko"
ISO_WT, ISO_KO = ArmKey(WT), ArmKey(KO)
SURV, PRED = "survival", "predictions"


def _k(genotype, *agents, part="colonisation"):
    return ArmKey(genotype, frozenset(agents), part)


FINDINGS = (
    Finding("F1", "Il6-/- mice form fewer liver metastases than WT", (
        Criterion("visible_nodules", ISO_WT, ISO_KO, "lower"),
        Criterion("liver_weight", ISO_WT, ISO_KO, "lower"))),
    Finding("F2", "Il6-/- mice live longer than WT", (
        Criterion(SURV, _k(WT, part=SURV), _k(KO, part=SURV), "longer"),)),
    Finding("F3", "Depleting CD8 removes the protection of Il6-/- (metastasis back to about WT level)", (
        Criterion("visible_nodules", ISO_KO, _k(KO, "anti-cd8"), "higher"),
        Criterion("visible_nodules", ISO_WT, _k(KO, "anti-cd8"), "similar", SIMILAR_NODULES))),
    Finding("F4", "Il6-/- foci hold more effector CD8 (perforin+, GzmB+) and more mature DCs (MHC-II high, "
            "IL-12+, IFN-alpha/beta+)", tuple(
        Criterion(r, ISO_WT, ISO_KO, "higher")
        for r in ("perforin_of_cd8", "gzmb_of_cd8", "mhc2hi_of_dc", "il12_of_dc", "ifn_of_dc")),
            construction="the DC half holds largely by construction: IL-6 is the model's only brake on DC maturation "
                         "and cytokine output, and Il6-/- hosts lack the host's share of it (the cancer cells' own "
                         "IL-6 remains), so MHC-II-high, IL-12+ and IFN+ DCs rise unless antigen falls a lot"),
    Finding("F5", "Blocking IFNAR1 or neutralising IL-12 worsens liver metastasis in Il6-/- mice", (
        Criterion("visible_nodules", ISO_KO, _k(KO, "anti-ifnar1"), "higher"),
        Criterion("visible_nodules", ISO_KO, _k(KO, "anti-il12"), "higher"))),
    Finding("F6", "Il6-/- raises type I IFN signalling, which raises PD-L1 and MHC-I on the cancer cells", (
        Criterion("pdl1_mfi", ISO_WT, ISO_KO, "higher"),
        Criterion("mhc1_mfi", ISO_WT, ISO_KO, "higher"),
        Criterion("pdl1_mfi", ISO_KO, _k(KO, "anti-ifnar1"), "lower")),
            construction="holds largely by construction: PD-L1 and MHC-I rise only with type I IFN (from mature DCs, "
                         "more in Il6-/-: F4), IFN-gamma (from engaged effectors, more in Il6-/-) and, for PD-L1, "
                         "the cells' own IL-6 signal; the check measures the size of the effect"),
    Finding("F7", "Anti-PD-L1 suppresses colonisation and prolongs survival in Il6-/- mice, but does little "
            "in WT", (
        Criterion("visible_nodules", ISO_KO, _k(KO, "anti-pdl1"), "lower"),
        Criterion(SURV, _k(KO, part=SURV), _k(KO, "anti-pdl1", part=SURV), "longer"),
        Criterion("visible_nodules", ISO_WT, _k(WT, "anti-pdl1"), "similar", SIMILAR_NODULES),
        Criterion(SURV, _k(WT, part=SURV), _k(WT, "anti-pdl1", part=SURV), "similar", SIMILAR_SURVIVAL))),
    Finding("F8", "Patients with low tumour IL-6 have longer DFS than patients with high tumour IL-6", (
        Criterion(SURV, HIGH, LOW, "longer"),), source="Toyoshima et al. 2019; Feng 2023 (PARAMETERS.md)",
            cohort="patients"),
    Finding("F9", "Predicted: IL-6R blockade + anti-PD-L1 beats either alone in WT; adding IL-6R blockade to "
            "poly(I:C) beats either alone", (
        Criterion("visible_nodules", _k(WT, "anti-pdl1", part=PRED), _k(WT, "anti-il6r", "anti-pdl1", part=PRED),
                  "lower"),
        Criterion("visible_nodules", _k(WT, "anti-il6r", part=PRED), _k(WT, "anti-il6r", "anti-pdl1", part=PRED),
                  "lower"),
        Criterion("visible_nodules", _k(WT, "poly-ic", part=PRED), _k(WT, "poly-ic", "anti-il6r", part=PRED),
                  "lower"),
        Criterion("visible_nodules", _k(WT, "anti-il6r", part=PRED), _k(WT, "poly-ic", "anti-il6r", part=PRED),
                  "lower")),
            source="BIOLOGY.md: predicted by the study, not tested in it"),
)


def holds_the_study(plan, findings=FINDINGS) -> bool:
    """True if ``plan`` has an arm for every criterion of the mouse findings (the built-in study
    or a replication of it)."""
    return all(find_arm(plan, k) is not None for f in findings if f.evaluable_on_mice and f.id != "F9"
               for c in f.criteria for k in (c.reference, c.arm))



@dataclass
class FindingResult:
    finding: Finding
    status: str                 # PASS, FAIL or NOT RUN
    criteria: pd.DataFrame      # one row per criterion
    reason: str = ""

    @property
    def id(self) -> str:
        return self.finding.id


def check_findings(result, plan, *, patients: pd.DataFrame | None = None, findings=FINDINGS,
                   alpha: float = ALPHA, significance: bool = True) -> list[FindingResult]:
    """Check each finding on a StudyResult ``result`` of ``plan`` (its StudyPlan); patient findings
    on ``patients`` (the patients table of an untreated virtual cohort, e.g. built-in trial dfs_by_il6).
    Either may be None: its findings are then NOT RUN. With ``significance=False`` a criterion
    passes when its effect estimate points the paper's way (no test; "similar": the estimate
    inside the margin): whether a finding *holds* in a large virtual replicate, rather than
    whether a study of this size would detect it."""
    wide = result.wide() if result is not None else None
    out = []
    for finding in findings:
        if finding.cohort == "patients":
            out.append(_check_patients(finding, patients, alpha, significance))
            continue
        missing = missing_parts(finding, result, plan, wide)
        if missing:
            out.append(FindingResult(finding, "NOT RUN", pd.DataFrame(), missing))
            continue
        arms = {c: (find_arm(plan, c.reference), find_arm(plan, c.arm)) for c in finding.criteria}
        rows = [_evaluate(c, *arms[c], wide, result.animals) for c in finding.criteria]
        out.append(_verdict(finding, rows, alpha, significance))
    return out


def missing_parts(finding: Finding, result, plan, wide: pd.DataFrame | None) -> str:
    """Why a mouse finding cannot be checked on ``result`` of ``plan`` ("" if it can)."""
    if result is None:
        return "no run of virtual mice given"
    missing = sorted({str(k) for c in finding.criteria for k in (c.reference, c.arm) if find_arm(plan, k) is None})
    if missing:
        return "the run has no arm " + "; ".join(missing)
    absent = sorted({c.readout for c in finding.criteria if c.readout != SURV and not _measured(wide, c.readout)})
    return "the run has no readout " + ", ".join(absent) if absent else ""


def _verdict(finding: Finding, rows: list[dict], alpha: float, significance: bool) -> FindingResult:
    table = pd.DataFrame(rows)
    table["p_adjusted"] = holm_rows(table["p"].to_numpy()[None, :])[0]
    table["passed"] = passes(table["p_adjusted"].to_numpy(), table["ok"].to_numpy(), alpha, significance)
    return FindingResult(finding, "PASS" if table["passed"].all() else "FAIL", table)


def _measured(wide: pd.DataFrame, readout: str) -> bool:
    """True if the run measured ``readout`` in at least one animal."""
    return readout in wide and bool(wide[readout].notna().any())


def _check_patients(finding: Finding, patients: pd.DataFrame | None, alpha: float,
                    significance: bool = True) -> FindingResult:
    if patients is None or patients.empty:
        return FindingResult(finding, "NOT RUN", pd.DataFrame(), "needs a virtual patient cohort: 'immunomet "
                             "reproduce' runs one; or 'immunomet patients'")
    table = dfs_table(patients)
    rows = [_evaluate(c, c.reference, c.arm, pd.DataFrame(), table) for c in finding.criteria]
    return _verdict(finding, rows, alpha, significance)


def survival_arrays(animals: pd.DataFrame, reference: str, arm: str):
    """(t, e, arm mask, reference mask) of the successful animals of two arms, as one row each."""
    ok = animals[(animals["status"] == "success") & animals["arm"].isin([reference, arm])]
    names = ok["arm"].to_numpy()
    return (ok["survival_day"].to_numpy(float)[None, :], ok["death"].to_numpy(bool)[None, :],
            (names == arm)[None, :], (names == reference)[None, :])


def readout_arrays(wide: pd.DataFrame, reference: str, arm: str, readout: str):
    """(day, reference values, arm values) on the last day both arms were measured."""
    day = last_common_day(wide, [reference, arm], readout)
    at = wide[wide["day"] == day]
    values = {a: at.loc[at["arm"] == a, readout].to_numpy(float) for a in (reference, arm)}
    return day, values[reference], values[arm]


def _evaluate(c: Criterion, reference: str, arm: str, wide: pd.DataFrame, animals: pd.DataFrame) -> dict:
    row = {"readout": c.readout, "reference": reference, "arm": arm, "direction": c.direction, "bound": c.bound}
    if c.readout == SURV:
        rows = survival_rows(c.direction, c.bound, *survival_arrays(animals, reference, arm))
        stats = {k: v[0] for k, v in rows.items()}
        row |= _survival_display(c, stats, animals, reference, arm)
    else:
        day, x, y = readout_arrays(wide, reference, arm, c.readout)
        stats = {k: v[0] for k, v in readout_rows(c.direction, c.bound, c.readout, x[None, :], y[None, :]).items()}
        row |= {"day": day} | _readout_display(c, stats, x, y, reference, arm)
    return row | {"n_ref": int(stats["n_ref"]), "n_arm": int(stats["n_arm"]), "median_ref": float(stats["median_ref"]),
                  "median_arm": float(stats["median_arm"]), "p": float(stats["p"]), "ok": bool(stats["ok"])}


def _readout_display(c: Criterion, stats: dict, x, y, reference: str, arm: str) -> dict:
    if c.direction == "similar":
        return {"effect": "Hodges-Lehmann ratio (90% CI)", "estimate": stats["estimate"], "low": stats["low"],
                "high": stats["high"], "test": f"equivalence (TOST, Mann-Whitney) within x{c.bound:.3g}",
                "statistic": np.nan, "note": ""}
    cmp = compare(x, y, readout=c.readout, a=reference, b=arm)
    return {"effect": "ratio of medians", "estimate": cmp.ratio, "low": cmp.ratio_low, "high": cmp.ratio_high,
            "test": "Mann-Whitney U", "statistic": cmp.statistic, "note": ""}


def _survival_display(c: Criterion, stats: dict, animals: pd.DataFrame, reference: str, arm: str) -> dict:
    base = {"rmst_ref": stats["rmst_ref"], "rmst_arm": stats["rmst_arm"]}
    if c.direction == "similar":
        return base | {"effect": "RMST ratio (90% CI)", "estimate": stats["estimate"], "low": stats["low"],
                       "high": stats["high"], "test": f"equivalence (TOST, RMST to day {stats['tau']:.3g}) within "
                       f"x{c.bound:.3g}", "statistic": np.nan, "note": ""}
    hr = cox_hazard_ratio(animals, arm, reference)
    return base | {"effect": "HR", "estimate": hr.hr, "low": hr.low, "high": hr.high, "test": "log-rank",
                   "statistic": stats["statistic"], "note": hr.note}


def findings_table(results: list[FindingResult]) -> pd.DataFrame:
    """One row per criterion (NOT RUN findings get one row), for printing, reports and CSV."""
    rows = []
    for r in results:
        base = {"finding": r.id, "status": r.status, "statement": r.finding.statement,
                "construction": r.finding.construction}
        if r.criteria.empty:
            rows.append(base | {"note": r.reason})
            continue
        rows += [base | rec for rec in r.criteria.to_dict("records")]
    return pd.DataFrame(rows)
