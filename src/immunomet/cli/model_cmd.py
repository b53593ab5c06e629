"""``immunomet model show|lint``: print the model (processes, parameters with sources) or lint it."""
from __future__ import annotations

import argparse

from ..models import load_model
from ..spec.describe import describe_model
from ..spec.validate import lint


def register(sub) -> None:
    p = sub.add_parser("model", help="show or lint the model")
    msub = p.add_subparsers(dest="action", required=True, parser_class=type(p))
    show = msub.add_parser("show", help="print species, processes, parameters (with sources), agents")
    show.add_argument("--section", choices=["all", "species", "processes", "parameters", "agents", "rules"],
                      default="all", help="print only one section")
    show.add_argument("--model", default="mouse", help="model name (default mouse)")
    show.set_defaults(handler=run_show)
    check = msub.add_parser("lint", help="check units and report unused or suspicious parts")
    check.add_argument("--model", default="mouse")
    check.set_defaults(handler=run_lint)


def run_show(args: argparse.Namespace) -> int:
    print(describe_model(load_model(args.model), args.section))
    return 0


def run_lint(args: argparse.Namespace) -> int:
    issues = lint(load_model(args.model))
    for issue in issues:
        print(issue)
    print(f"{len(issues)} issue(s): {sum(i.severity == 'error' for i in issues)} error(s)")
    return 1 if any(i.severity == "error" for i in issues) else 0
