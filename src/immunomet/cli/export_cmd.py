"""``immunomet export-sbml`` (the model under one protocol as SBML L3V2) and ``immunomet export-petab``
(an own-data problem as PEtab v1)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..interop import write_sbml
from ..models import load_model
from ._args import writable_folder
from .simulate_cmd import add_protocol_options, model_and_protocol


def register(sub) -> None:
    p = sub.add_parser("export-sbml", help="write the model (and a protocol's doses) as SBML",
                       description="Write SBML L3V2: species, parameters with units, rules, reactions, and "
                                   "the protocol's doses as events. Needs the 'sbml' extra.")
    p.add_argument("--out", type=Path, required=True, help="the .xml file to write")
    add_protocol_options(p)
    p.set_defaults(handler=run)

    p = sub.add_parser("export-petab", help="write an own-data problem (immunomet fit FOLDER) as PEtab v1",
                       description="Write FOLDER's tables (conditions, observables, measurements, parameters) as a "
                                   "PEtab v1 problem: problem.yaml, model.xml (SBML) and four tables, for pyPESTO, "
                                   "AMICI and other PEtab tools. Needs the 'sbml' extra. See docs/calibration.md.")
    p.add_argument("folder", type=Path, metavar="FOLDER", help="an own-data problem, e.g. examples/own_data/synthetic")
    p.add_argument("--out", type=Path, required=True, help="the folder to write the PEtab problem into")
    p.add_argument("--model", default="mouse", help="mouse (default) or patient")
    p.set_defaults(handler=run_petab)


def run(args: argparse.Namespace) -> int:
    model, protocol = model_and_protocol(args)
    writable_folder(args.out.parent, "--out")
    path = write_sbml(model, args.out, protocol)
    print(f"wrote {path} ({model.name}, model {model.hash}; {protocol.genotype}, "
          f"{len(protocol.treatments)} treatment(s), {protocol.days:g} days)")
    return 0


def run_petab(args: argparse.Namespace) -> int:
    from ..interop.petab import export_petab

    problem = export_petab(args.folder, args.out, load_model(args.model))
    print(f"wrote {args.out}/problem.yaml (PEtab v1): {len(problem.conditions)} condition(s), "
          f"{len(problem.observables)} observable(s), {len(problem.measurements)} measurement(s), "
          f"{int((problem.parameters['estimate'] == 1).sum())} estimated parameter(s)")
    if problem.day_offset:
        print(f"  PEtab time 0 is day {problem.day_offset:g} (the first dose); times are days - ({problem.day_offset:g})")
    return 0
