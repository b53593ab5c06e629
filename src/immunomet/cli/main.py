"""``immunomet`` command: dispatches to subcommands; turns every user error into one line."""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from ..errors import ImmunometError
from . import (analysis_cmd, app_cmd, calibration_cmd, export_cmd, model_cmd, patient_cmd, population_cmd,
               simulate_cmd, study_cmd)


DESCRIPTION = """\
immunomet: virtual mice and patients for how IL-6 lets colorectal cancer colonise the liver by
switching off anti-tumour immunity (Toyoshima et al., Cancer Immunol Res 2019).

Start with 'immunomet reproduce' (the paper's study, findings F1-F9 and report.html) or
'immunomet app' (design and run studies in the browser; the 'app' extra)."""
EPILOG = "'immunomet COMMAND --help' describes a command. Documentation: README.md and docs/ of the project."


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"immunomet: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="immunomet", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"immunomet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    simulate_cmd.register(sub)
    model_cmd.register(sub)
    study_cmd.register(sub)
    export_cmd.register(sub)
    analysis_cmd.register(sub)
    patient_cmd.register(sub)
    calibration_cmd.register(sub)
    population_cmd.register(sub)
    app_cmd.register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so the run ends as it does on Ctrl-C: interrupted,
    finished work kept, workers stopped."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        return int(args.handler(args) or 0)
    except ImmunometError as exc:
        sys.stderr.write(f"immunomet: error: {exc}\n")
        return 2
    except KeyboardInterrupt as exc:
        kept = getattr(exc, "kept", None)
        where = f"; finished work is kept in {kept.path}: 'immunomet resume {kept.path}' runs the rest" if kept else ""
        sys.stderr.write(f"immunomet: {'terminated' if isinstance(exc, Terminated) else 'interrupted'}{where}\n")
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
