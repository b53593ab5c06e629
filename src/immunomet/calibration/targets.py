"""What the calibration fits: published magnitudes (with their uncertainty) and the findings' effect
sizes as soft constraints, each a quantity of the *typical* animal (every parameter at its value,
no animal-to-animal spread, expected readouts without sampling noise) so that the objective is a
smooth function of the parameters.

- **Magnitudes** (``models/data/magnitudes.yaml`` entries whose ``use`` is ``calibration``; never
  an assumed range): the published range is read as a 95% interval of a log-normal, centred at
  its geometric mean, sigma = ln(high / low) / (2 x 1.96).
- **Findings F1-F7** (``analysis.findings``, the arms of the built-in study): each criterion
  becomes a bound on the log ratio of the arm's quantity to its reference's, softened by a probit
  of width ``SOFTNESS``: log Phi((log ratio - bound) / SOFTNESS) for "higher" / "longer". The
  bound is the smallest effect of interest (``EFFECT``); "similar" asks the log ratio to lie within
  half the criterion's equivalence margin, so that an equivalence test can pass at a realistic
  group size. Counts (nodules) enter as 1 + count, so a nodule-free arm is allowed.

Survival of a typical animal is its restricted mean survival time to the arm's follow-up:
P(eradicated) x follow-up + (1 - P(eradicated)) x the day the tumour burden of a persisting tumour
reaches the humane end point. A probability of take is 1 - P(every seeded lineage died out).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

from ..analysis.arms import find_arm
from ..analysis.findings import FINDINGS, SURV
from ..analysis.magnitudes import Magnitude, load_magnitudes
from ..spec import Injection, Protocol

SURVIVAL, TAKEN = "survival_rmst", "tumour_taken"
COUNTS = frozenset({"visible_nodules"})
# smallest effects of interest, as ratios (the same rule as the findings' equivalence margins,
# analysis.criteria): nodule numbers about two-fold; survival about 20% (4-5 days of a 3-4 week
# life); continuous readouts (flow percentages, MFI, liver weight) about 20%
EFFECT = {"count": 2.0, "survival": 1.2, "readout": 1.2}
SOFTNESS = 0.1  # width of a constraint's probit edge, in natural-log units (a 10% change of a ratio)
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Quantity:
    """One number of the typical animal: ``readout`` (a lab readout, survival_rmst or
    tumour_taken) on ``day`` under ``protocol``."""

    protocol: Protocol
    readout: str
    day: float

    def describe(self) -> str:
        treat = "; ".join(f"{t.agent} d{','.join(f'{d:g}' for d in t.days)}" for t in self.protocol.treatments
                          if t.agent != "isotype")
        inj = self.protocol.injection
        return (f"{self.readout} {self.protocol.genotype}{' + ' + treat if treat else ''} "
                f"({inj.cells:.0e} cells {inj.route}, day {self.day:g})")


@dataclass(frozen=True)
class Target:
    """A term of the log-likelihood. ``shape`` 'lognormal': the quantity ~ log-normal(``centre``,
    ``sigma``) (``centre`` on the log scale); 'bounds': the log ratio of ``quantity`` (+1 for counts)
    to ``reference`` lies above ``low`` and/or below ``high``, with probit edges of width ``sigma``."""

    id: str
    kind: str                     # "magnitude" or "finding"
    quantity: Quantity
    shape: str
    sigma: float
    reference: Quantity | None = None
    centre: float = np.nan
    low: float = -np.inf
    high: float = np.inf
    source: str = ""

    def value(self, values: dict[Quantity, np.ndarray]) -> np.ndarray:
        """The quantity (magnitude) or the log ratio (finding) per parameter set."""
        x = values[self.quantity]
        if self.reference is None:
            return x
        shift = 1.0 if self.quantity.readout in COUNTS else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log((x + shift) / (values[self.reference] + shift))

    def log_likelihood(self, values: dict[Quantity, np.ndarray]) -> np.ndarray:
        v = self.value(values)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.shape == "lognormal":
                z = (np.log(v) - self.centre) / self.sigma
                out = -0.5 * z**2 - np.log(self.sigma * np.sqrt(2 * np.pi) * v)
            else:
                out = np.zeros_like(v)
                if np.isfinite(self.low):
                    out = out + log_ndtr((v - self.low) / self.sigma)
                if np.isfinite(self.high):
                    out = out + log_ndtr((self.high - v) / self.sigma)
        return np.where(np.isfinite(out), out, -np.inf)

    def describe(self) -> str:
        if self.shape == "lognormal":
            lo, hi = np.exp(self.centre - Z95 * self.sigma), np.exp(self.centre + Z95 * self.sigma)
            return f"{self.quantity.describe()} in {lo:.3g}-{hi:.3g} (95%)"
        bounds = [f"> {np.exp(self.low):.3g}" if np.isfinite(self.low) else "",
                  f"< {np.exp(self.high):.3g}" if np.isfinite(self.high) else ""]
        return f"{self.quantity.describe()} / {self.reference.readout} {self.reference.protocol.genotype}: " + \
            " and ".join(b for b in bounds if b)


def magnitude_targets(magnitudes: list[Magnitude] | None = None) -> list[Target]:
    """The calibration targets among the published magnitudes (mouse readouts; patients are
    calibrated with the patient model)."""
    out = []
    for m in magnitudes or load_magnitudes():
        if m.use != "calibration" or m.on_patients:
            continue
        if m.certainty == "A":
            raise ValueError(f"magnitude {m.id}: an assumed range cannot calibrate (certainty A)")
        c = m.condition
        protocol = Protocol(c["genotype"], (), Injection(cells=c["cells"], route=c["route"]), c["day"])
        readout = {"survival_median": SURVIVAL, "serum_il6": "serum_il6"}.get(m.readout, m.readout)
        out.append(Target(m.id, "magnitude", Quantity(protocol, readout, c["day"]), "lognormal",
                          np.log(m.high / m.low) / (2 * Z95), centre=0.5 * np.log(m.low * m.high), source=m.source))
    return out


def finding_targets(plan, findings=FINDINGS) -> list[Target]:
    """F1-F7 as soft constraints on the built-in study's arms (``plan``: its StudyPlan)."""
    arms = {a.name: a for a in plan.arms}
    out = []
    for finding in findings:
        if not finding.evaluable_on_mice or finding.id in ("F8", "F9"):
            continue
        for k, c in enumerate(finding.criteria):
            ref, arm = arms[find_arm(plan, c.reference)], arms[find_arm(plan, c.arm)]
            out.append(_constraint(f"{finding.id}.{k + 1}", c, _quantity(ref, c.readout), _quantity(arm, c.readout),
                                   finding.statement))
    return out


def _quantity(arm, readout: str) -> Quantity:
    if readout == SURV:
        return Quantity(arm.protocol, SURVIVAL, arm.protocol.days)
    return Quantity(arm.protocol, readout, max(arm.readout_days))


def _constraint(id_: str, criterion, reference: Quantity, quantity: Quantity, statement: str) -> Target:
    kind = "survival" if criterion.readout == SURV else "count" if criterion.readout in COUNTS else "readout"
    if criterion.direction == "similar":
        half = 0.5 * np.log(criterion.bound)
        low, high = -half, half
    elif criterion.direction in ("higher", "longer"):
        low, high = np.log(EFFECT[kind]), np.inf
    else:
        low, high = -np.inf, -np.log(EFFECT[kind])
    return Target(id_, "finding", quantity, "bounds", SOFTNESS, reference=reference, low=low, high=high,
                  source=f"Toyoshima et al. 2019: {statement}")


def calibration_targets(plan) -> list[Target]:
    """Every target: the published magnitudes, then the findings F1-F7 on ``plan``'s arms."""
    return magnitude_targets() + finding_targets(plan)
