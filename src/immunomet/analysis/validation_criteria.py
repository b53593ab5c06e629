"""Pass criteria of the out-of-sample validation suite (``validation/NAME/criterion.yaml``).

A criterion is a claim from a published experiment and one or more checks, each a comparison on a
study's virtual animals. The format (documented in ``validation/README.md``)::

    claim: CD8 depletion makes s.c. CT26 grow more.
    source: Trehan RS et al., Nat Commun 2025, doi ...
    checks:
      - {id: sc, kind: higher, readout: tumour_volume, day: 21, arm: anti-CD8, reference: isotype,
         alpha: 0.05, ratio: [2, 12.5]}

Kinds and their tests:

- ``higher`` / ``lower``: the arm's readout is higher / lower than the reference's on ``day``:
  one-sided Mann-Whitney U (scipy) p < alpha; optional ``ratio: [low, high]`` also asks the ratio
  of medians (arm / reference) to lie in that range.
- ``similar``: equivalence within a ratio margin ``[low, high]`` (low < 1 < high): two one-sided
  rank tests (TOST) of the scale shift, arm against ``low x reference`` (greater) and against
  ``high x reference`` (less); p = the larger of the two, < alpha.
- ``longer`` / ``shorter``: survival of the arm vs the reference: log-rank p < alpha (two-sided,
  lifelines) and the Cox hazard ratio (arm vs reference) below / above 1.
- ``range``: a point estimate of one arm lies in ``range: [low, high]``: ``statistic: tumour_free``
  (share of the arm's animals tumour-free at the end of follow-up) or ``median`` (of ``readout`` on
  ``day``). No test: it checks a magnitude.

Animals euthanised at the humane end point before the readout day have no readout. For tumour-size
readouts (volume, liver weight, tumour area, nodules) they are counted as the largest tumour of the
day: their value is set to the largest value measured in the study that day (at least the end point
when the end point is that readout), so removing them cannot flatter an arm. Other readouts drop
them, and the result says how many.

An experiment passes when every check passes: an intersection-union test, so each check at its own
alpha keeps the chance of a false PASS at most alpha without a multiplicity correction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError
from scipy import stats

from ..errors import SpecError
from ..studies.spec import Number, _first_error, _Strict
from .groups import compare
from .survival import cox_hazard_ratio, logrank_pairwise

KINDS = ("higher", "lower", "similar", "longer", "shorter", "range")
TUMOUR_SIZE = ("tumour_volume", "liver_weight", "tumour_area", "visible_nodules")


class CheckSpec(_Strict):
    """One comparison of a criterion (fields by kind: see the module docstring)."""

    id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")
    kind: Literal["higher", "lower", "similar", "longer", "shorter", "range"]
    study: str = Field(default="study.yaml", pattern=r"^[A-Za-z0-9_.\-]+\.ya?ml$")
    arm: str = Field(min_length=1)
    reference: str | None = None
    readout: str | None = None
    day: Number | None = None
    alpha: Number = Field(default=0.05, gt=0, lt=0.5)
    ratio: tuple[Number, Number] | None = None
    margin: tuple[Number, Number] | None = None
    statistic: Literal["median", "tumour_free"] | None = None
    range: tuple[Number, Number] | None = None


class CriterionSpec(_Strict):
    """A pre-registered criterion: the claim, its source and the checks that decide it."""

    claim: str = Field(min_length=1)
    source: str = Field(min_length=1)
    checks: list[CheckSpec] = Field(min_length=1)


_NEEDS = {  # kind -> fields it needs, fields it must not have
    "higher": (("reference", "readout", "day"), ("margin", "statistic", "range")),
    "lower": (("reference", "readout", "day"), ("margin", "statistic", "range")),
    "similar": (("reference", "readout", "day", "margin"), ("ratio", "statistic", "range")),
    "longer": (("reference",), ("readout", "day", "ratio", "margin", "statistic", "range")),
    "shorter": (("reference",), ("readout", "day", "ratio", "margin", "statistic", "range")),
    "range": (("statistic", "range"), ("reference", "ratio", "margin")),
}


def parse_criterion(data: object, source: str = "criterion") -> CriterionSpec:
    """Validate a loaded criterion.yaml; raise SpecError with one line naming the file and field."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: a criterion is a mapping with claim, source and checks, got {type(data).__name__}")
    try:
        spec = CriterionSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: {_first_error(exc, CriterionSpec)}") from None
    seen = set()
    for i, check in enumerate(spec.checks):
        where = f"{source}: checks[{i}]"
        if check.id in seen:
            raise SpecError(f"{where}.id: {check.id!r} is used twice; give each check its own id")
        seen.add(check.id)
        _check_fields(check, where)
    return spec


def _check_fields(check: CheckSpec, where: str) -> None:
    needed, forbidden = _NEEDS[check.kind]
    for name in needed:
        if getattr(check, name) is None:
            raise SpecError(f"{where}.{name}: required when kind is {check.kind}")
    for name in forbidden:
        if getattr(check, name) is not None:
            raise SpecError(f"{where}.{name}: not used when kind is {check.kind}; remove it")
    if check.kind == "range" and check.statistic == "median" and (check.readout is None or check.day is None):
        raise SpecError(f"{where}.readout: statistic median needs readout and day")
    for name in ("ratio", "margin", "range"):
        pair = getattr(check, name)
        if pair is not None and not pair[0] <= pair[1]:
            raise SpecError(f"{where}.{name}: give [low, high] with low <= high, got {list(pair)}")
    if check.margin is not None and not (0 < check.margin[0] < 1 < check.margin[1]):
        raise SpecError(f"{where}.margin: a ratio margin [low, high] needs 0 < low < 1 < high, got {list(check.margin)}")
    if check.day is not None and check.day <= 0:
        raise SpecError(f"{where}.day: must be after the injection (> 0), got {check.day:g}")


@dataclass
class CheckResult:
    """The outcome of one check: ``passed`` is None when it could not be evaluated (``reason``)."""

    id: str
    kind: str
    passed: bool | None
    p: float = float("nan")
    effect: str = ""
    reason: str = ""
    detail: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "NOT RUN"}[self.passed]


def evaluate_check(check: CheckSpec, result, endpoint: dict | None = None) -> CheckResult:
    """Evaluate ``check`` on a StudyResult (``endpoint``: the study's humane end point, as in its
    provenance). Missing arms or measurements give a NOT RUN result with the reason."""
    endpoint = endpoint or result.provenance.get("humane_endpoint", {})
    try:
        if check.kind in ("longer", "shorter"):
            return _survival_check(check, result.animals)
        if check.kind == "range":
            return _range_check(check, result, endpoint)
        return _readout_check(check, result, endpoint)
    except _NotRun as exc:
        return CheckResult(check.id, check.kind, None, reason=str(exc))


class _NotRun(Exception):
    pass


def arm_values(result, readout: str, day: float, arm: str, endpoint: dict) -> tuple[np.ndarray, int]:
    """The readout of ``arm``'s successful animals on ``day``, with animals euthanised before it set
    to the day's largest value for tumour-size readouts (dropped otherwise); and how many were set."""
    if readout not in result.readouts.columns:
        raise _NotRun(f"readout {readout!r} is not measured in this study")
    wide = result.wide(day)
    ok = result.animals[(result.animals["status"] == "success")]
    rows = wide[wide["arm"] == arm].merge(ok[["arm", "animal", "death", "survival_day"]], on=["arm", "animal"])
    if rows.empty:
        raise _NotRun(f"arm {arm!r} has no animals measured on day {day:g}")
    values = rows[readout].to_numpy(dtype=float)
    gone = rows["death"].to_numpy(dtype=bool) & (rows["survival_day"].to_numpy(dtype=float) < day) & np.isnan(values)
    if readout in TUMOUR_SIZE and gone.any():
        values[gone] = _largest(wide[readout].to_numpy(dtype=float), readout, endpoint)
        return values, int(gone.sum())
    return values[np.isfinite(values)], 0


def _largest(day_values: np.ndarray, readout: str, endpoint: dict) -> float:
    finite = day_values[np.isfinite(day_values)]
    floor = float(endpoint.get("above", 0.0)) if endpoint.get("observable") == readout else 0.0
    if not len(finite) and not floor:
        raise _NotRun(f"no animal of the study was measured for {readout} that day (all past the end point)")
    return max(float(finite.max()) if len(finite) else 0.0, floor)


def _readout_check(check: CheckSpec, result, endpoint: dict) -> CheckResult:
    y, set_y = arm_values(result, check.readout, check.day, check.arm, endpoint)
    x, set_x = arm_values(result, check.readout, check.day, check.reference, endpoint)
    if len(x) < 2 or len(y) < 2:
        raise _NotRun(f"fewer than 2 measured animals ({check.arm}: {len(y)}, {check.reference}: {len(x)})")
    cmp = compare(x, y, readout=check.readout, a=check.reference, b=check.arm)
    if check.kind == "similar":
        p = tost_ratio_p(y, x, *check.margin)
        passed = bool(p < check.alpha)
    else:
        p = float(stats.mannwhitneyu(y, x, alternative="greater" if check.kind == "higher" else "less").pvalue)
        passed = bool(p < check.alpha)
        if check.ratio is not None:
            passed = passed and bool(check.ratio[0] <= cmp.ratio <= check.ratio[1])
    detail = {"readout": check.readout, "day": check.day, "arm": check.arm, "reference": check.reference,
              "n_arm": len(y), "n_reference": len(x), "median_arm": cmp.median_b, "median_reference": cmp.median_a,
              "ratio": cmp.ratio, "ratio_low": cmp.ratio_low, "ratio_high": cmp.ratio_high,
              "rank_biserial": cmp.rank_biserial, "at_end_point_arm": set_y, "at_end_point_reference": set_x,
              "alpha": check.alpha, "wanted_ratio": check.ratio, "margin": check.margin}
    return CheckResult(check.id, check.kind, passed, p, _ratio_text(cmp), detail=detail)


def tost_ratio_p(y, x, low: float, high: float) -> float:
    """Equivalence p of arm ``y`` to reference ``x`` within the ratio margin [low, high]: two
    one-sided Mann-Whitney tests of y against x scaled by low (greater) and by high (less)."""
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    p_low = stats.mannwhitneyu(y, low * x, alternative="greater").pvalue
    p_high = stats.mannwhitneyu(y, high * x, alternative="less").pvalue
    return float(max(p_low, p_high))


def _ratio_text(cmp) -> str:
    ci = f" [{cmp.ratio_low:.2g}, {cmp.ratio_high:.2g}]" if np.isfinite(cmp.ratio_low) else ""
    return f"median {cmp.median_b:.3g} vs {cmp.median_a:.3g}, ratio {cmp.ratio:.2f}{ci}"


def _survival_check(check: CheckSpec, animals: pd.DataFrame) -> CheckResult:
    arms = set(animals["arm"])
    for name in (check.arm, check.reference):
        if name not in arms:
            raise _NotRun(f"arm {name!r} is not in this study")
    table = logrank_pairwise(animals, [check.reference, check.arm], pairs=[(check.reference, check.arm)])
    if table.empty:
        raise _NotRun("no animals to compare")
    hr = cox_hazard_ratio(animals, check.arm, check.reference)
    p = float(table["p"].iloc[0])
    direction = hr.hr < 1 if check.kind == "longer" else hr.hr > 1
    passed = bool(p < check.alpha and np.isfinite(hr.hr) and direction)
    note = f" ({hr.note})" if hr.note else ""
    effect = f"HR {hr.hr:.2f} [{hr.low:.2g}, {hr.high:.2g}]{note}; deaths {int(table['deaths_b'].iloc[0])}/" \
             f"{int(table['n_b'].iloc[0])} vs {int(table['deaths_a'].iloc[0])}/{int(table['n_a'].iloc[0])}"
    detail = {"arm": check.arm, "reference": check.reference, "hr": hr.hr, "hr_low": hr.low, "hr_high": hr.high,
              "hr_note": hr.note, "logrank_chi2": float(table["chi2"].iloc[0]), "alpha": check.alpha,
              "n_arm": int(table["n_b"].iloc[0]), "n_reference": int(table["n_a"].iloc[0])}
    return CheckResult(check.id, check.kind, passed, p, effect, detail=detail)


def _range_check(check: CheckSpec, result, endpoint: dict) -> CheckResult:
    if check.statistic == "tumour_free":
        ok = result.animals[(result.animals["status"] == "success") & (result.animals["arm"] == check.arm)]
        if ok.empty:
            raise _NotRun(f"arm {check.arm!r} has no successful animals")
        value = float(ok["tumour_free"].astype(bool).mean())
        effect = f"tumour-free {int(ok['tumour_free'].sum())}/{len(ok)} = {value:.2f}"
    else:
        values, _ = arm_values(result, check.readout, check.day, check.arm, endpoint)
        if not len(values):
            raise _NotRun(f"arm {check.arm!r} has no measured {check.readout} on day {check.day:g}")
        value = float(np.median(values))
        effect = f"median {check.readout} {value:.3g}"
    passed = bool(check.range[0] <= value <= check.range[1])
    detail = {"arm": check.arm, "statistic": check.statistic, "value": value, "range": check.range}
    return CheckResult(check.id, check.kind, passed, float("nan"), effect + f" (wanted in {list(check.range)})",
                       detail=detail)
