"""A small unit registry: dimensions and scale factors, checked when a model is built.

A unit is a product of base dimensions with integer exponents and a scale factor relative to
the base units (day, cell, g, L, mol). Strings such as ``"pg/mL/day"``, ``"L/day/kg"``,
``"1/day"`` or ``"cell"`` are parsed; ``"1"`` (or ``""``) is dimensionless.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import UnitError

BASE_DIMENSIONS = ("time", "cell", "mass", "volume", "amount")

# name -> (scale relative to base unit, {dimension: exponent})
_ATOMS: dict[str, tuple[float, dict[str, int]]] = {
    "1": (1.0, {}),
    "day": (1.0, {"time": 1}),
    "d": (1.0, {"time": 1}),
    "h": (1.0 / 24.0, {"time": 1}),
    "hour": (1.0 / 24.0, {"time": 1}),
    "min": (1.0 / 1440.0, {"time": 1}),
    "s": (1.0 / 86400.0, {"time": 1}),
    "cell": (1.0, {"cell": 1}),
    "g": (1.0, {"mass": 1}),
    "kg": (1e3, {"mass": 1}),
    "mg": (1e-3, {"mass": 1}),
    "ug": (1e-6, {"mass": 1}),
    "ng": (1e-9, {"mass": 1}),
    "pg": (1e-12, {"mass": 1}),
    "L": (1.0, {"volume": 1}),
    "mL": (1e-3, {"volume": 1}),
    "uL": (1e-6, {"volume": 1}),
    "mm3": (1e-6, {"volume": 1}),
    "mol": (1.0, {"amount": 1}),
    "umol": (1e-6, {"amount": 1}),
    "nmol": (1e-9, {"amount": 1}),
    "pmol": (1e-12, {"amount": 1}),
    "M": (1.0, {"amount": 1, "volume": -1}),
    "uM": (1e-6, {"amount": 1, "volume": -1}),
    "nM": (1e-9, {"amount": 1, "volume": -1}),
    "pM": (1e-12, {"amount": 1, "volume": -1}),
}

_TOKEN = re.compile(r"\s*([*/])?\s*([A-Za-z0-9]+)(?:\^(-?\d+))?\s*")


@dataclass(frozen=True)
class Unit:
    """A physical unit: a scale factor times a product of base dimensions."""

    scale: float
    dims: tuple[int, ...]  # exponents in BASE_DIMENSIONS order
    text: str = ""

    @property
    def dimensionless(self) -> bool:
        return not any(self.dims)

    def same_dimension(self, other: "Unit") -> bool:
        return self.dims == other.dims

    def factor_to(self, other: "Unit") -> float:
        """Multiply a value in ``self`` by this factor to express it in ``other``."""
        if not self.same_dimension(other):
            raise UnitError(f"cannot convert {self} to {other}: dimensions differ")
        return self.scale / other.scale

    def __mul__(self, other: "Unit") -> "Unit":
        dims = tuple(a + b for a, b in zip(self.dims, other.dims))
        return Unit(self.scale * other.scale, dims, f"{self}*{other}")

    def __truediv__(self, other: "Unit") -> "Unit":
        dims = tuple(a - b for a, b in zip(self.dims, other.dims))
        return Unit(self.scale / other.scale, dims, f"{self}/({other})")

    def __pow__(self, n: int) -> "Unit":
        return Unit(self.scale**n, tuple(a * n for a in self.dims), f"({self})^{n}")

    def describe_dims(self) -> str:
        parts = [f"{d}^{e}" if e != 1 else d for d, e in zip(BASE_DIMENSIONS, self.dims) if e]
        return " ".join(parts) or "dimensionless"

    def __str__(self) -> str:
        return self.text or self.describe_dims()


DIMENSIONLESS = Unit(1.0, (0,) * len(BASE_DIMENSIONS), "1")


@lru_cache(maxsize=None)
def parse_unit(text: str) -> Unit:
    """Parse a unit string like ``"pg/mL/day"``; raise UnitError naming the bad part."""
    source = text.strip()
    if source in ("", "1", "dimensionless"):
        return DIMENSIONLESS
    scale, dims, pos = 1.0, [0] * len(BASE_DIMENSIONS), 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            raise UnitError(f"cannot parse unit {text!r} at {source[pos:]!r}")
        op, name, exp = match.group(1), match.group(2), int(match.group(3) or 1)
        if pos == 0 and op == "/":
            raise UnitError(f"unit {text!r} must not start with '/': write '1/...'")
        if name not in _ATOMS:
            known = ", ".join(sorted(_ATOMS))
            raise UnitError(f"unknown unit {name!r} in {text!r}; known units: {known}")
        sign = -1 if op == "/" else 1
        atom_scale, atom_dims = _ATOMS[name]
        scale *= atom_scale ** (sign * exp)
        for dim, e in atom_dims.items():
            dims[BASE_DIMENSIONS.index(dim)] += sign * exp * e
        pos = match.end()
    return Unit(scale, tuple(dims), source)
