"""The findings of Toyoshima et al. 2019 (BIOLOGY.md F1-F9) as executable checks on a study run.

Each finding is a list of criteria; a criterion compares one arm with a reference arm on a
readout (Mann-Whitney U, ratio of medians) or on survival (log-rank, Cox HR, KM medians), and
states the direction the paper found. Arms are found by what was done to them (genotype, agents,
part), not by their names, so any run that holds the arms can be checked. The same thresholds
serve every run; nothing here touches model parameters.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arms import ArmKey, find_arm
from .dfs import HIGH, LOW, dfs_table
from .groups import compare, holm, last_common_day
from .power import _rmst
from .survival import cox_hazard_ratio, kaplan_meier, logrank_pairwise

ALPHA = 0.05


@dataclass(frozen=True)
class Criterion:
    """``arm`` against ``reference``: on ``readout`` (or "survival"), ``direction`` one of
    higher / lower / similar. "similar" passes when the ratio of medians lies within
    [1/bound, bound] (readouts), or the KM medians differ by at most ``bound`` days (survival)."""

    readout: str
    reference: ArmKey
    arm: ArmKey
    direction: str
    bound: float = 1.5


@dataclass(frozen=True)
class Finding:
    id: str
    statement: str
    criteria: tuple[Criterion, ...]
    source: str = "Toyoshima et al. 2019 (BIOLOGY.md)"
    cohort: str = "mice"  # "patients": checked on a virtual patient cohort (DFS by tumour IL-6)

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
        Criterion("visible_nodules", ISO_WT, _k(KO, "anti-cd8"), "similar", 1.5))),
    Finding("F4", "Il6-/- foci hold more effector CD8 (perforin+, GzmB+) and more mature DCs (MHC-II high, "
            "IL-12+, IFN-alpha/beta+)", tuple(
        Criterion(r, ISO_WT, ISO_KO, "higher")
        for r in ("perforin_of_cd8", "gzmb_of_cd8", "mhc2hi_of_dc", "il12_of_dc", "ifn_of_dc"))),
    Finding("F5", "Blocking IFNAR1 or neutralising IL-12 worsens liver metastasis in Il6-/- mice", (
        Criterion("visible_nodules", ISO_KO, _k(KO, "anti-ifnar1"), "higher"),
        Criterion("visible_nodules", ISO_KO, _k(KO, "anti-il12"), "higher"))),
    Finding("F6", "Il6-/- raises type I IFN signalling, which raises PD-L1 and MHC-I on the cancer cells", (
        Criterion("pdl1_mfi", ISO_WT, ISO_KO, "higher"),
        Criterion("mhc1_mfi", ISO_WT, ISO_KO, "higher"),
        Criterion("pdl1_mfi", ISO_KO, _k(KO, "anti-ifnar1"), "lower"))),
    Finding("F7", "Anti-PD-L1 suppresses colonisation and prolongs survival in Il6-/- mice, but does little "
            "in WT", (
        Criterion("visible_nodules", ISO_KO, _k(KO, "anti-pdl1"), "lower"),
        Criterion(SURV, _k(KO, part=SURV), _k(KO, "anti-pdl1", part=SURV), "longer"),
        Criterion("visible_nodules", ISO_WT, _k(WT, "anti-pdl1"), "similar", 1.33),
        Criterion(SURV, _k(WT, part=SURV), _k(WT, "anti-pdl1", part=SURV), "similar", 3.0))),
    Finding("F8", "Patients with low tumour IL-6 have longer DFS than patients with high tumour IL-6", (
        Criterion(SURV, HIGH, LOW, "longer"),), source="Toyoshima et al. 2019; Feng 2023 (PARAMETERS.md)",
            cohort="patients"),
    Finding("F9", "Predicted: IL-6R blockade + anti-PD-L1 beats either alone in WT; IL-6R blockade improves "
            "poly(I:C)", (
        Criterion("visible_nodules", _k(WT, "anti-pdl1", part=PRED), _k(WT, "anti-il6r", "anti-pdl1", part=PRED),
                  "lower"),
        Criterion("visible_nodules", _k(WT, "anti-il6r", part=PRED), _k(WT, "anti-il6r", "anti-pdl1", part=PRED),
                  "lower"),
        Criterion("visible_nodules", _k(WT, "poly-ic", part=PRED), _k(WT, "poly-ic", "anti-il6r", part=PRED),
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
    passes when its effect estimate points the paper's way (no test): whether a finding *holds* in
    a large virtual replicate, rather than whether a study of this size would detect it."""
    wide = result.wide() if result is not None else None
    out = []
    for finding in findings:
        if finding.cohort == "patients":
            out.append(_check_patients(finding, patients, alpha, significance))
            continue
        if result is None:
            out.append(FindingResult(finding, "NOT RUN", pd.DataFrame(), "no run of virtual mice given"))
            continue
        arms = {c: (find_arm(plan, c.reference), find_arm(plan, c.arm)) for c in finding.criteria}
        missing = sorted({str(k) for c, (a, b) in arms.items() for k, name in ((c.reference, a), (c.arm, b))
                          if name is None})
        if missing:
            out.append(FindingResult(finding, "NOT RUN", pd.DataFrame(), "the run has no arm " + "; ".join(missing)))
            continue
        absent = sorted({c.readout for c in finding.criteria if c.readout != SURV and not _measured(wide, c.readout)})
        if absent:
            out.append(FindingResult(finding, "NOT RUN", pd.DataFrame(), "the run has no readout " + ", ".join(absent)))
            continue
        rows = [_evaluate(c, *arms[c], wide, result.animals) for c in finding.criteria]
        table = pd.DataFrame(rows)
        tested = table["direction"] != "similar"
        table["p_adjusted"] = np.nan
        if tested.any():
            table.loc[tested, "p_adjusted"] = holm(table.loc[tested, "p"].to_numpy())
        table["passed"] = [_passes(r, alpha, significance) for r in table.to_dict("records")]
        out.append(FindingResult(finding, "PASS" if table["passed"].all() else "FAIL", table))
    return out


def _measured(wide: pd.DataFrame, readout: str) -> bool:
    """True if the run measured ``readout`` in at least one animal."""
    return readout in wide and bool(wide[readout].notna().any())


def _check_patients(finding: Finding, patients: pd.DataFrame | None, alpha: float,
                    significance: bool = True) -> FindingResult:
    if patients is None or patients.empty:
        return FindingResult(finding, "NOT RUN", pd.DataFrame(), "needs a virtual patient cohort: 'immunomet "
                             "reproduce' runs one; or 'immunomet patients'")
    table = dfs_table(patients)
    rows = pd.DataFrame([_evaluate(c, c.reference, c.arm, pd.DataFrame(), table) for c in finding.criteria])
    rows["p_adjusted"] = holm(rows["p"].to_numpy())
    rows["passed"] = [_passes(r, alpha, significance) for r in rows.to_dict("records")]
    return FindingResult(finding, "PASS" if rows["passed"].all() else "FAIL", rows)


def _evaluate(c: Criterion, reference: str, arm: str, wide: pd.DataFrame, animals: pd.DataFrame) -> dict:
    row = {"readout": c.readout, "reference": reference, "arm": arm, "direction": c.direction, "bound": c.bound}
    if c.readout == SURV:
        lr = logrank_pairwise(animals, [reference, arm], [(reference, arm)], adjust="none")
        hr = cox_hazard_ratio(animals, arm, reference)
        fits = kaplan_meier(animals, [reference, arm])
        m_ref, m_arm = (float(fits[a].median_survival_time_) for a in (reference, arm))
        rmst = {a: _rmst(fits[a].durations, fits[a].event_observed.astype(bool)) for a in (reference, arm)}
        row |= {"n_ref": int(lr["n_a"].iloc[0]), "n_arm": int(lr["n_b"].iloc[0]), "effect": "HR",
                "estimate": hr.hr, "low": hr.low, "high": hr.high, "median_ref": m_ref, "median_arm": m_arm,
                "rmst_ref": rmst[reference], "rmst_arm": rmst[arm],
                "test": "log-rank", "statistic": float(lr["chi2"].iloc[0]), "p": float(lr["p"].iloc[0]),
                "note": hr.note}
    else:
        day = last_common_day(wide, [reference, arm], c.readout)
        at = wide[wide["day"] == day]
        cmp = compare(at.loc[at["arm"] == reference, c.readout], at.loc[at["arm"] == arm, c.readout],
                      readout=c.readout, a=reference, b=arm)
        row["day"] = day
        row |= {"n_ref": cmp.n_a, "n_arm": cmp.n_b, "effect": "ratio of medians", "estimate": cmp.ratio,
                "low": cmp.ratio_low, "high": cmp.ratio_high, "median_ref": cmp.median_a, "median_arm": cmp.median_b,
                "test": "Mann-Whitney U", "statistic": cmp.statistic, "p": cmp.p, "note": ""}
    return row


def _passes(row: dict, alpha: float, significance: bool = True) -> bool:
    est, direction = row["estimate"], row["direction"]
    if direction == "similar":
        if row["readout"] == SURV:
            gap = abs(_finite(row["median_arm"]) - _finite(row["median_ref"]))
            return bool(gap <= row["bound"])
        return bool(np.isfinite(est) and 1.0 / row["bound"] <= est <= row["bound"])
    significant = not significance or (np.isfinite(row["p_adjusted"]) and row["p_adjusted"] < alpha)
    if row["readout"] == SURV:  # longer survival: HR below 1 and KM median later (RMST if neither is reached)
        neither = not (np.isfinite(row["median_ref"]) or np.isfinite(row["median_arm"]))
        later = row["rmst_arm"] > row["rmst_ref"] if neither else row["median_arm"] > row["median_ref"]
        return bool(significant and est < 1.0 and later)
    return bool(significant and ((est > 1.0) if direction == "higher" else (est < 1.0)))


def _finite(median: float) -> float:
    return median if np.isfinite(median) else 1e9  # not reached


def findings_table(results: list[FindingResult]) -> pd.DataFrame:
    """One row per criterion (NOT RUN findings get one row), for printing, reports and CSV."""
    rows = []
    for r in results:
        if r.criteria.empty:
            rows.append({"finding": r.id, "status": r.status, "statement": r.finding.statement, "note": r.reason})
            continue
        for rec in r.criteria.to_dict("records"):
            rows.append({"finding": r.id, "status": r.status, "statement": r.finding.statement, **rec})
    return pd.DataFrame(rows)
