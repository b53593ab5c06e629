"""Readouts as the lab measures them on a readout day, for every animal of a cohort at once.

Liver colonisation (intrasplenic route): visible nodules are counted from each animal's random
nodule draw at that day (binomial number of surviving lineages, geometric sizes); liver weight and
tumour area use the drawn nodules' total size, so they agree with the count. A local tumour
(s.c./i.d.) is measured by its volume. Flow cytometry of the foci, PD-L1 / MHC-I on cancer cells
(MFI relative to the cell line in vitro) and serum IL-6 come from the model's readout rules.

Measurement noise is explicit (``MeasurementNoise``): flow percentages are binomial counts of
``flow_events`` acquired CD45+ events through the gates; continuous assays (weights, volumes, MFI,
ELISA) get log-normal noise with coefficient of variation ``assay_cv``. Zero turns either off.

The model's rules are evaluated for all animals at once; only the random draws go animal by
animal, each from that animal's own generator, in a fixed order (nodules, liver weight, tumour
area, flow gates, MFI and ELISA), so an animal's values never depend on its cohort.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..simulate import CohortResult, SimulationResult
from ..simulate.colonization import visible_probability


@dataclass(frozen=True)
class Readout:
    name: str
    unit: str
    label: str
    kind: str  # colonisation, local, flow, mfi, serum


READOUTS = (
    Readout("visible_nodules", "count", "visible liver nodules", "colonisation"),
    Readout("liver_weight", "g", "liver weight", "colonisation"),
    Readout("tumour_area", "%", "tumour area of liver sections", "colonisation"),
    Readout("tumour_volume", "mm3", "local tumour volume (calliper)", "local"),
    Readout("cd8_of_cd45", "%", "CD8+ of CD45+ cells in the foci", "flow"),
    Readout("perforin_of_cd8", "%", "perforin+ of CD8+", "flow"),
    Readout("gzmb_of_cd8", "%", "granzyme B+ of CD8+", "flow"),
    Readout("em_of_cd8", "%", "effector-memory of CD8+", "flow"),
    Readout("mhc2hi_of_dc", "%", "MHC-II-high of CD11c+", "flow"),
    Readout("il12_of_dc", "%", "IL-12+ of CD11c+", "flow"),
    Readout("ifn_of_dc", "%", "IFN-alpha/beta+ of CD11c+", "flow"),
    Readout("pdl1_mfi", "x in vitro", "PD-L1 on cancer cells (relative MFI)", "mfi"),
    Readout("mhc1_mfi", "x in vitro", "MHC-I on cancer cells (relative MFI)", "mfi"),
    Readout("serum_il6", "pg/mL", "serum IL-6 (ELISA)", "serum"),
)
UNITS = {r.name: r.unit for r in READOUTS}

# flow gates: readouts whose parent gate is CD8+ or CD11c+ (each a model rule giving the fraction)
_CD8_GATE = ("perforin_of_cd8", "gzmb_of_cd8", "em_of_cd8")
_DC_GATE = ("mhc2hi_of_dc", "il12_of_dc", "ifn_of_dc")
_FLOW = ("cd8_of_cd45",) + _CD8_GATE + _DC_GATE
_SPECIES_READOUTS = (("pdl1_mfi", "pdl1"), ("mhc1_mfi", "mhc1"), ("serum_il6", "il6"))  # readout, species


@dataclass(frozen=True)
class MeasurementNoise:
    """Noise of the assays. ``flow_events``: CD45+ events acquired per sample (0 = exact
    fractions); ``assay_cv``: coefficient of variation of continuous assays (0 = exact)."""

    flow_events: int = 5000
    assay_cv: float = 0.1

    def __post_init__(self) -> None:
        if self.flow_events < 0:
            raise SpecError(f"measurement_noise.flow_events: must be >= 0, got {self.flow_events}")
        if not 0.0 <= self.assay_cv <= 2.0:
            raise SpecError(f"measurement_noise.assay_cv: must be between 0 and 2, got {self.assay_cv}")

    @property
    def sigma(self) -> float:
        return float(np.sqrt(np.log1p(self.assay_cv**2)))

    def apply(self, values: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Log-normal noise with mean 1 from deviates ``z`` (NaN deviates leave a value exact)."""
        s = self.sigma
        return np.where(np.isnan(z), values, values * np.exp(s * z - 0.5 * s**2))


def readout_names(local: bool) -> list[str]:
    return [r.name for r in READOUTS if r.kind != ("colonisation" if local else "local")]


def measure_cohort(cohort: CohortResult, day: float, noise: MeasurementNoise, rngs, *,
                   local: bool = False) -> dict[str, np.ndarray]:
    """Every readout of every animal at ``day`` (NaN where its solve failed before ``day``);
    ``rngs[i]`` is animal i's measurement generator."""
    names = readout_names(local)
    out = {n: np.full(len(cohort), np.nan) for n in names}
    reached = np.flatnonzero(_reached(cohort, day))
    if not len(reached):
        return out
    sub = cohort if len(reached) == len(cohort) else cohort.subset(reached)
    rngs = [rngs[i] for i in reached]
    y, rules = _state_and_rules(sub, day)
    values: dict[str, np.ndarray] = {}
    z: dict[str, np.ndarray] = {}
    _draw_tumour(sub, day, y, rngs, values, local)
    continuous = [k for k in ("tumour_volume", "liver_weight", "tumour_area") if k in values]
    continuous += [name for name, _ in _SPECIES_READOUTS]
    for name, species in _SPECIES_READOUTS:
        values[name] = y[:, sub.compiled.species_index[species]]
    fractions = {name: rules[name] for name in _FLOW} | {"dc_of_cd45": rules["dc_of_cd45"]}
    z, flow = _draw_noise(values, continuous, fractions, noise, rngs)
    for name in continuous:
        measured = noise.apply(values[name], z[name])
        out[name][reached] = 100.0 * measured if name == "tumour_area" else measured
    for name in _FLOW:
        out[name][reached] = flow[name]
    if "visible_nodules" in values:
        out["visible_nodules"][reached] = values["visible_nodules"]
    return out


def expected_cohort(cohort: CohortResult, day: float, names=None) -> dict[str, np.ndarray]:
    """The readouts' expected values at ``day`` for every animal, without measurement noise:
    visible nodules are the expected count (expected arrested cells x survival x P(visible),
    Kendall; no binomial draw); liver weight and tumour area use the mean-field burden; flow gates
    are exact percentages."""
    names = list(names or [r.name for r in READOUTS])
    y, rules = _state_and_rules(cohort, day)
    out = {name: 100.0 * rules[name] for name in _FLOW}
    for name, species in _SPECIES_READOUTS:
        out[name] = y[:, cohort.compiled.species_index[species]]
    if "tumour_volume" in rules:
        out["tumour_volume"] = rules["tumour_volume"]
    out["liver_weight"] = rules["liver_weight"]
    out["tumour_area"] = 100.0 * rules["tumour_area_fraction"]
    if cohort.colonisation is not None:
        share = cohort.parameter(cohort.model.colonisation.arrest_parameter)
        cells = np.array([p.injection.cells for p in cohort.protocols])
        out["visible_nodules"] = cohort.colonisation.expected_visible(day, cells * share)
    reached = _reached(cohort, day)
    nan = np.full(len(cohort), np.nan)
    return {n: np.where(reached, np.broadcast_to(out.get(n, nan), reached.shape), np.nan) for n in names}


def measure(result: SimulationResult, day: float, noise: MeasurementNoise, rng: np.random.Generator, *,
            local: bool = False) -> dict[str, float]:
    """All readouts of one animal (a SimulationResult view of a cohort) at ``day``."""
    cohort, i = _source(result)
    values = measure_cohort(cohort.subset([i]), day, noise, [rng], local=local)
    return {k: float(v[0]) for k, v in values.items()}


def expected_readouts(result: SimulationResult, day: float, names=None) -> dict[str, float]:
    """``expected_cohort`` for one animal (a SimulationResult view of a cohort)."""
    cohort, i = _source(result)
    return {k: float(v[0]) for k, v in expected_cohort(cohort.subset([i]), day, names).items()}


def _source(result: SimulationResult):
    if result.source is None:
        raise SpecError("this SimulationResult is not a view of a simulated cohort; use simulate() to make one")
    return result.source


def _reached(cohort: CohortResult, day: float) -> np.ndarray:
    return cohort.ok & (day <= cohort.times[-1] + 1e-9)


_RULES = _FLOW + ("dc_of_cd45", "tumour_volume", "liver_weight", "tumour_area_fraction")


def _state_and_rules(cohort: CohortResult, day: float):
    y = cohort.state_at(day)
    names = [n for n in _RULES if n in cohort.compiled.rule_names]
    return y, cohort.rules_at(day, y, names)


def _draw_tumour(cohort: CohortResult, day: float, y: np.ndarray, rngs, values: dict, local: bool) -> None:
    """Each animal's surviving lineages (binomial) and their sizes (geometric) at ``day``: liver
    nodules, weight and tumour area, or a local tumour's volume, follow the drawn burden (0 once
    every lineage has died out: an eradicated tumour)."""
    col = cohort.colonisation
    p_alive, mean_alive = col.at(day)
    visible = np.zeros(len(cohort))
    burden = np.zeros(len(cohort))
    for a, rng in enumerate(rngs):
        alive = int(rng.binomial(int(col.arrested[a]), min(max(p_alive[a], 0.0), 1.0)))
        if alive:
            sizes = rng.geometric(1.0 / max(mean_alive[a], 1.0), size=alive).astype(float)
            visible[a] = np.count_nonzero(sizes >= col.visible_threshold[a])
            burden[a] = sizes.sum()
    drawn = y.copy()
    drawn[:, cohort.compiled.species_index[cohort.model.colonisation.species]] = burden
    if local:
        values["tumour_volume"] = cohort.rules_at(day, drawn, ("tumour_volume",))["tumour_volume"]
        return
    rules = cohort.rules_at(day, drawn, ("liver_weight", "tumour_area_fraction"))
    values["visible_nodules"] = visible
    values["liver_weight"] = rules["liver_weight"]
    values["tumour_area"] = rules["tumour_area_fraction"]


def _draw_noise(values: dict, continuous: list[str], fractions: dict, noise: MeasurementNoise, rngs):
    """Each animal's draws in the fixed order, from its own generator: a standard normal for each
    finite continuous assay but the last three (none when ``assay_cv`` is 0), its flow gates,
    then the last three. Returns (deviates per continuous readout, NaN where exact; flow %)."""
    n = len(rngs)
    head, tail = _finite(values, continuous[:-3], noise, n), _finite(values, continuous[-3:], noise, n)
    head_k, tail_k = head.sum(axis=1).tolist(), tail.sum(axis=1).tolist()
    flow_draws = _FlowDraws(fractions, noise)
    drawn_head, drawn_tail = [], []
    for a, rng in enumerate(rngs):
        drawn_head.append(rng.standard_normal(head_k[a]))
        flow_draws.draw(a, rng)
        drawn_tail.append(rng.standard_normal(tail_k[a]))
    z = {}
    for names, finite, drawn in ((continuous[:-3], head, drawn_head), (continuous[-3:], tail, drawn_tail)):
        block = np.full(finite.shape, np.nan)
        block[finite] = np.concatenate(drawn) if drawn else np.zeros(0)  # row-major: animal by animal
        z |= {name: block[:, k] for k, name in enumerate(names)}
    return z, flow_draws.percentages()


def _finite(values: dict, names: list[str], noise: MeasurementNoise, n: int) -> np.ndarray:
    """(animals, names): where an assay gets a deviate (noise on and the value finite)."""
    if noise.assay_cv == 0.0 or not names:
        return np.zeros((n, len(names)), dtype=bool)
    return np.column_stack([np.isfinite(values[name]) for name in names])


class _FlowDraws:
    """Gate percentages animal by animal; with noise, binomial event counts through CD45+ ->
    CD8+ / CD11c+ (a gate with no parent events is NaN and draws nothing)."""

    def __init__(self, fractions: dict, noise: MeasurementNoise):
        self.events, self.fractions = noise.flow_events, fractions
        self.unit = ({name: np.clip(np.asarray(f, dtype=float), 0.0, 1.0).tolist() for name, f in fractions.items()}
                     if self.events else {})
        self.out = {name: [] for name in _FLOW}

    def draw(self, a: int, rng) -> None:
        if self.events == 0:
            return
        n, unit, out = self.events, self.unit, self.out
        n_cd8 = int(rng.binomial(n, unit["cd8_of_cd45"][a]))
        n_dc = int(rng.binomial(n, unit["dc_of_cd45"][a]))
        out["cd8_of_cd45"].append(100.0 * n_cd8 / n)
        for names, parent in ((_CD8_GATE, n_cd8), (_DC_GATE, n_dc)):
            for name in names:
                out[name].append(100.0 * rng.binomial(parent, unit[name][a]) / parent if parent else np.nan)

    def percentages(self) -> dict[str, np.ndarray]:
        if self.events == 0:
            return {name: 100.0 * np.asarray(self.fractions[name], dtype=float) for name in _FLOW}
        return {name: np.array(values, dtype=float) for name, values in self.out.items()}


__all__ = ["READOUTS", "UNITS", "MeasurementNoise", "Readout", "expected_cohort", "expected_readouts", "measure",
           "measure_cohort", "readout_names", "visible_probability"]
