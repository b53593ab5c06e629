"""How a virtual animal's solve ended: an enum, stored per animal as a small integer code.

A solver failure is data about that animal (its tables say which and why), never an exception;
a bug in immunomet raises and stops the run instead of becoming a row.
"""
from __future__ import annotations

from enum import Enum

import numpy as np


class SolveStatus(str, Enum):
    """Outcome of one animal's integration. Members compare equal to their text value."""

    SUCCESS = "success"
    STEP_SIZE_TOO_SMALL = "step size too small"
    TOO_MANY_STEPS = "too many steps"
    NON_FINITE = "non-finite state"
    SOLVER_FAILED = "solver failed"

    @property
    def ok(self) -> bool:
        return self is SolveStatus.SUCCESS

    @property
    def code(self) -> int:
        return _CODES[self]

    @classmethod
    def from_code(cls, code: int) -> "SolveStatus":
        return _MEMBERS[int(code)]

    def __str__(self) -> str:
        return self.value


_MEMBERS = tuple(SolveStatus)
_CODES = {m: i for i, m in enumerate(_MEMBERS)}


def status_texts(codes: np.ndarray) -> np.ndarray:
    """The text value of each code (an object array, for tables)."""
    texts = np.array([m.value for m in _MEMBERS], dtype=object)
    return texts[np.asarray(codes, dtype=np.int64)]
