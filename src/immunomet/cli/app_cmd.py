"""``immunomet app``: serve the local web app on 127.0.0.1."""
from __future__ import annotations

import argparse
import socket
from pathlib import Path

from ..errors import DataError
from ._args import positive_int


def register(sub) -> None:
    p = sub.add_parser("app", help="a local web app: design, run and compare studies in the browser",
                       description="Serve immunomet's web app on http://127.0.0.1:PORT (this machine only): design "
                                   "a study with checks as you type and download it as YAML, run it in the "
                                   "background with a progress bar, browse the runs and their reports, simulate one "
                                   "mouse. Needs the 'app' extra: pip install 'immunomet[app]'.")
    p.add_argument("--port", type=positive_int, default=8050, help="port on 127.0.0.1 (default 8050)")
    p.add_argument("--root", type=Path, default=Path("runs"), help="runs folder with the catalog (default ./runs)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..app import HOST, build, serve

    if args.port > 65535:
        raise DataError(f"--port {args.port}: ports go up to 65535")
    app = build(args.root)  # one error line if the extra is missing, before anything listens
    _check_free(HOST, args.port)
    print(f"immunomet app on http://{HOST}:{args.port}  (runs in {args.root.resolve()}; Ctrl-C stops it)", flush=True)
    serve(app, args.port)
    return 0


def _check_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise DataError(f"--port {port}: already in use on {host}; pick another, e.g. --port {port + 1}") from None
