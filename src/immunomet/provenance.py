"""Provenance helpers shared by every result: software versions and timestamps."""
from __future__ import annotations

import platform
from datetime import datetime, timezone


def software_versions() -> dict[str, str]:
    """Versions that can change a result, for provenance records."""
    import numpy
    import pandas
    import scipy

    from . import __version__

    versions = {"immunomet_version": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
                "scipy": scipy.__version__, "pandas": pandas.__version__}
    try:
        import numba

        versions["numba"] = numba.__version__
    except ImportError:  # pragma: no cover - numba is a core dependency
        pass
    return versions


def utc_now() -> str:
    """The current UTC time, to the second, ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
