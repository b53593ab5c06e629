"""``immunomet export-sbml``: the model under one protocol as SBML Level 3 Version 2."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..interop import write_sbml
from ._args import writable_folder
from .simulate_cmd import add_protocol_options, model_and_protocol


def register(sub) -> None:
    p = sub.add_parser("export-sbml", help="write the model (and a protocol's doses) as SBML",
                       description="Write SBML L3V2: species, parameters with units, rules, reactions, and "
                                   "the protocol's doses as events. Needs the 'sbml' extra.")
    p.add_argument("--out", type=Path, required=True, help="the .xml file to write")
    add_protocol_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model, protocol = model_and_protocol(args)
    writable_folder(args.out.parent, "--out")
    path = write_sbml(model, args.out, protocol)
    print(f"wrote {path} ({model.name}, model {model.hash}; {protocol.genotype}, "
          f"{len(protocol.treatments)} treatment(s), {protocol.days:g} days)")
    return 0
