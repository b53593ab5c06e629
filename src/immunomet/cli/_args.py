"""Argument types shared by subcommands: a bad value is one argparse error line."""
from __future__ import annotations

import argparse
import math
import os
from datetime import datetime
from pathlib import Path

from ..errors import DataError
from ..spec.limits import MAX_CELLS, MAX_DAYS


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number > 0")
    return value


def nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 0")
    return value


def positive_int(text: str) -> int:
    value = nonnegative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 1")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text!r} must lie between 0 and 1")
    return value


def output_folder(out: Path | None, name: str, flag: str = "--out") -> Path:
    """``out``, or runs/NAME-TIMESTAMP; created (a folder that cannot be written is one error line,
    before any work is done)."""
    folder = out or Path("runs") / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    return writable_folder(folder, flag)


def writable_folder(folder: Path, flag: str) -> Path:
    """Create ``folder`` (and its parents) and check that files can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".immunomet-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise DataError(f"{flag} {str(folder)!r}: cannot write there ({exc.strerror or exc}); choose a folder "
                        "you can write") from None
    return folder


def days(text: str) -> float:
    """A follow-up in days: a number in (0, MAX_DAYS]."""
    value = positive_float(text)
    if not value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_DAYS:g} days (20 years)")
    return value


def cells(text: str) -> float:
    """Injected cells: a number in (0, MAX_CELLS]."""
    value = positive_float(text)
    if not value <= MAX_CELLS:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_CELLS:g} cells (about 1 g)")
    return value
