"""Readouts as the lab measures them, on the readout day of one virtual animal.

Liver colonisation (intrasplenic route): visible nodules are counted from this animal's random
nodule draw at that day (binomial number of surviving lineages, geometric sizes); liver weight and
tumour area use the drawn nodules' total size, so they agree with the count. A local tumour
(s.c./i.d.) is measured by its volume. Flow cytometry of the foci, PD-L1 / MHC-I on cancer cells
(MFI relative to the cell line in vitro) and serum IL-6 come from the model's readout rules.

Measurement noise is explicit (``MeasurementNoise``): flow percentages are binomial counts of
``flow_events`` acquired CD45+ events through the gates; continuous assays (weights, volumes, MFI,
ELISA) get log-normal noise with coefficient of variation ``assay_cv``. Zero turns either off.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ..simulate import SimulationResult
from ..simulate.colonization import sample_nodules, visible_probability
from ..spec import Model


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

# flow gates: readout -> (parent gate, model rule giving the fraction of the parent)
_CD8_GATE = ("perforin_of_cd8", "gzmb_of_cd8", "em_of_cd8")
_DC_GATE = ("mhc2hi_of_dc", "il12_of_dc", "ifn_of_dc")


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

    def continuous(self, value: float, rng: np.random.Generator) -> float:
        if self.assay_cv == 0.0 or not np.isfinite(value):
            return value
        sigma = np.sqrt(np.log1p(self.assay_cv**2))
        return float(value * np.exp(sigma * rng.standard_normal() - 0.5 * sigma**2))


def measure(model: Model, result: SimulationResult, day: float, noise: MeasurementNoise,
            rng: np.random.Generator, local: bool = False) -> dict[str, float]:
    """All readouts of one animal at ``day`` (NaN where the solver failed before ``day``)."""
    names = [r.name for r in READOUTS if r.kind != ("colonisation" if local else "local")]
    if not _reached(result, day):
        return dict.fromkeys(names, float("nan"))
    compiled, p, y, rules = _evaluate_at(model, result, day)
    out: dict[str, float] = {}
    if local:
        out["tumour_volume"] = noise.continuous(float(rules["tumour_volume"]), rng)
    else:
        out.update(_colonisation(compiled, result, day, y, p, noise, rng))
    out.update(_flow(rules, noise, rng))
    for name, species in _SPECIES_READOUTS:
        out[name] = noise.continuous(float(y[compiled.species_index[species]]), rng)
    return {n: out[n] for n in names}


def expected_readouts(model: Model, result: SimulationResult, day: float, names=None) -> dict[str, float]:
    """The readouts' expected values at ``day`` for this animal, without measurement noise:
    visible nodules are the expected count (arrested cells x survival x P(visible), Kendall);
    liver weight and tumour area use the mean-field burden; flow gates are exact percentages."""
    names = list(names or [r.name for r in READOUTS])
    if not _reached(result, day):
        return dict.fromkeys(names, float("nan"))
    compiled, _, y, rules = _evaluate_at(model, result, day)
    out = _flow(rules, MeasurementNoise(0, 0.0), None)
    for name, species in _SPECIES_READOUTS:
        out[name] = float(y[compiled.species_index[species]])
    if "tumour_volume" in rules:
        out["tumour_volume"] = float(rules["tumour_volume"])
    out["liver_weight"] = float(rules["liver_weight"])
    out["tumour_area"] = 100.0 * float(rules["tumour_area_fraction"])
    if result.nodules is not None and result.lineages is not None:
        p_alive, mean_alive = result.lineages.at(day)
        nod = result.nodules
        out["visible_nodules"] = float(nod.arrested * p_alive * visible_probability(mean_alive, nod.visible_threshold))
    return {n: out.get(n, float("nan")) for n in names}


_SPECIES_READOUTS = (("pdl1_mfi", "pdl1"), ("mhc1_mfi", "mhc1"), ("serum_il6", "il6"))  # readout, species


def _reached(result: SimulationResult, day: float) -> bool:
    return result.ok and day <= result.days[-1] + 1e-9


def _evaluate_at(model: Model, result: SimulationResult, day: float):
    """The compiled model, the animal's parameter vector, its state at ``day`` and the rules there."""
    compiled = model.compile()
    p = np.array([result.provenance["parameters"][n] for n in compiled.parameter_names])
    y = _state_at(result, compiled.species_names, day)
    return compiled, p, y, compiled.rule_values(day, y, p)


def _state_at(result: SimulationResult, species_names, day: float) -> np.ndarray:
    days = result.days
    table = result.species[list(species_names)].to_numpy()
    return np.array([np.interp(day, days, table[:, j]) for j in range(table.shape[1])])


def _colonisation(compiled, result, day, y, p, noise, rng) -> dict[str, float]:
    nod = result.nodules
    sample = sample_nodules(result.lineages, day, nod.arrested, nod.visible_threshold, rng)
    y_drawn = y.copy()
    y_drawn[compiled.species_index["cancer_cells"]] = sample.burden
    drawn = compiled.rule_values(day, y_drawn, p)
    return {
        "visible_nodules": float(sample.visible),
        "liver_weight": noise.continuous(float(drawn["liver_weight"]), rng),
        "tumour_area": 100.0 * noise.continuous(float(drawn["tumour_area_fraction"]), rng),
    }


def _flow(rules, noise: MeasurementNoise, rng) -> dict[str, float]:
    """Gate percentages; with noise, binomial event counts through CD45+ -> CD8+ / CD11c+."""
    fractions = {name: float(rules[name]) for name in ("cd8_of_cd45",) + _CD8_GATE + _DC_GATE}
    if noise.flow_events == 0:
        return {k: 100.0 * v for k, v in fractions.items()}
    n_cd8 = int(rng.binomial(noise.flow_events, _unit(fractions["cd8_of_cd45"])))
    n_dc = int(rng.binomial(noise.flow_events, _unit(float(rules["dc_of_cd45"]))))
    out = {"cd8_of_cd45": 100.0 * n_cd8 / noise.flow_events}
    for names, parent in ((_CD8_GATE, n_cd8), (_DC_GATE, n_dc)):
        for name in names:
            out[name] = 100.0 * rng.binomial(parent, _unit(fractions[name])) / parent if parent else float("nan")
    return out


def _unit(fraction: float) -> float:
    return min(max(fraction, 0.0), 1.0)
