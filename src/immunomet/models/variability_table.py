"""The model's default between-animal variability, as data (``data/<model>_variability.yaml``): a
common ``spread``, per-parameter ``log_sd`` entries, each with its source, and the dispersion
targets they were fitted to (``calibration.animal_spread``)."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import yaml

from ..errors import SpecError

FALLBACK_SPREAD = 0.1


@dataclass(frozen=True)
class DispersionTarget:
    """Published dispersion of an untreated control group, and the entry of the table it fits."""

    id: str
    fits: str          # "spread" or a parameter named in log_sd
    readout: str
    statistic: str     # "intensity_cv" (counts, method of moments) or "cv"
    condition: dict
    value: float
    range: tuple[float, float]
    source: str


@dataclass(frozen=True)
class VariabilityTable:
    spread: float
    log_sd: dict[str, float]
    sources: dict[str, str]   # "spread" and each log_sd name
    targets: tuple[DispersionTarget, ...] = ()

    def markdown(self) -> str:
        """The entries with their sources, then the dispersion targets (for docs/parameter_tables.md)."""
        def cell(text: str) -> str:
            return text.replace("|", "\\|")

        rows = ["| entry | value | source |", "|---|---|---|",
                f"| `spread` (a varied parameter's log-SD is spread x ln(prior high / low) / 4) | {self.spread:g} | "
                f"{cell(self.sources['spread'])} |"]
        rows += [f"| `{name}` (its own log-SD) | {value:g} | {cell(self.sources[name])} |"
                 for name, value in self.log_sd.items()]
        if self.targets:
            rows += ["", "| target | fits | statistic | published (95% range) | condition | source |",
                     "|---|---|---|---|---|---|"]
            rows += [f"| {t.id} | `{t.fits}` | {t.statistic} | {t.value:g} ({t.range[0]:g}-{t.range[1]:g}) | "
                     f"{', '.join(f'{k} {v}' for k, v in t.condition.items())} | {cell(t.source)} |" for t in self.targets]
        return "\n".join(rows) + "\n"


def variability_filename(model: str) -> str:
    return f"{model}_variability.yaml"


def load_variability_table(model: str = "mouse") -> VariabilityTable:
    """The named model's variability table; a model without one gets the assumed spread 0.1."""
    path = resources.files("immunomet.models").joinpath("data", variability_filename(model))
    if not path.is_file():
        return VariabilityTable(FALLBACK_SPREAD, {}, {"spread": "assumed: this model has no variability table"})
    return parse_variability_table(yaml.safe_load(path.read_text()), variability_filename(model))


def parse_variability_table(table: dict, where: str) -> VariabilityTable:
    try:
        spread = table["spread"]
        entries = {"spread": spread, **(table.get("log_sd") or {})}
        values = {name: float(entry["value"]) for name, entry in entries.items()}
        sources = {name: str(entry["source"]) for name, entry in entries.items()}
        targets = tuple(_target(t) for t in table.get("targets") or ())
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"{where}: every entry needs a numeric value and a source, every target its fields ({exc})") \
            from None
    unknown = {t.fits for t in targets} - set(values)
    if unknown:
        raise SpecError(f"{where}: targets fit {sorted(unknown)}, which the table does not hold")
    spread_value = values.pop("spread")
    return VariabilityTable(spread_value, values, sources, targets)


def _target(entry: dict) -> DispersionTarget:
    low, high = entry["range"]
    if entry["statistic"] not in ("intensity_cv", "cv"):
        raise ValueError(f"target {entry['id']}: statistic must be intensity_cv or cv")
    return DispersionTarget(str(entry["id"]), str(entry["fits"]), str(entry["readout"]), str(entry["statistic"]),
                            dict(entry["condition"]), float(entry["value"]), (float(low), float(high)),
                            str(entry["source"]))
