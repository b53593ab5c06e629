"""The exception hierarchy. Every error a user can cause derives from ImmunometError.

The CLI turns any ImmunometError into one line on stderr and a non-zero exit, so messages
must name the offending field and say what would fix it.
"""


class ImmunometError(Exception):
    """Base class for every error raised on purpose by immunomet."""


class SpecError(ImmunometError, ValueError):
    """A model, protocol or study specification is invalid."""


class UnitError(SpecError):
    """Units do not agree (dimension mismatch, unknown unit)."""


class UnknownNameError(SpecError, KeyError):
    """A parameter, species or intervention name does not exist."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class SolverError(ImmunometError):
    """The numerical solver failed in a way that cannot be reported as a status."""


class DataError(ImmunometError):
    """An input data file is missing or malformed."""


class MissingExtra(ImmunometError):
    """An optional part needs an extra that is not installed; the message names the pip command."""
