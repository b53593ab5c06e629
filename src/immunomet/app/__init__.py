"""``immunomet app``: a local web app to design a study (validated as you type, downloadable as the
YAML ``immunomet run`` reads), run it without blocking the page, browse the runs and their
reports, and simulate one mouse. Built on Shiny for Python (the ``app`` extra), imported only
when the app starts, so the core install works without it."""
from __future__ import annotations

from pathlib import Path

from ..errors import MissingExtra

HOST = "127.0.0.1"


def build(root: str | Path = "runs"):
    """The Shiny ``App`` over the runs folder ``root``."""
    try:
        import shiny  # noqa: F401
    except ImportError as exc:
        raise MissingExtra(f"the app needs the 'app' extra ({exc.msg}): pip install 'immunomet[app]'") from None
    from .server import build_app

    return build_app(root)


def serve(app, port: int = 8050, log_level: str = "warning") -> None:
    """Serve ``app`` (from ``build``) on http://127.0.0.1:PORT until interrupted."""
    import uvicorn

    uvicorn.run(app, host=HOST, port=port, log_level=log_level)
