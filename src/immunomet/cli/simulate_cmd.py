"""``immunomet simulate``: one virtual mouse, trajectories to Parquet, a PNG, a printed summary that
says whether (and when) the mouse passed the humane end point."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SpecError
from ..models import load_model
from ..report.mouse_figures import endpoint_text
from ..simulate import SolverOptions, simulate
from ..spec import Injection, Protocol, Treatment
from ._args import cells, days, nonnegative_int as _nonnegative_int, writable_folder

EXAMPLE = "immunomet simulate --genotype il6-ko --treat anti-pdl1:200ug@d7,d10 --days 40 --out runs/ko-pdl1"


def register(sub) -> None:
    p = sub.add_parser("simulate", help="simulate one virtual mouse", description=f"Simulate one mouse. Example: {EXAMPLE}")
    add_protocol_options(p)
    p.add_argument("--seed", type=_nonnegative_int, default=0, help="random seed of this mouse (default 0)")
    p.add_argument("--engine", choices=["scipy", "batch", "auto"], default="auto",
                   help="batch (auto, the default): the compiled engine; scipy: the reference solver (see --method)")
    p.add_argument("--method", default="BDF", choices=["BDF", "LSODA", "Radau"],
                   help="scipy's method with --engine scipy (default BDF)")
    p.add_argument("--out", type=Path, default=None, help="folder for trajectories.parquet, nodules.parquet, "
                   "provenance.json and trajectories.png")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model, protocol = model_and_protocol(args)
    if args.out is not None:
        writable_folder(args.out, "--out")  # before the simulation, not after it
    result = simulate(model, protocol, seed=args.seed, options=SolverOptions(method=args.method), engine=args.engine)
    print(result)
    if result.ok and args.model == "mouse":
        print(f"  {endpoint_text(result)}")
    if args.out is not None:
        result.save(args.out)
        result.plot(args.out / "trajectories.png")
        print(f"  wrote {args.out}/trajectories.parquet, nodules.parquet, provenance.json, trajectories.png")
    return 0 if result.ok else 1


def add_protocol_options(p: argparse.ArgumentParser) -> None:
    """--genotype --treat --cells --days --set: one animal's protocol and model edits."""
    p.add_argument("--model", default="mouse", help="mouse (default) or patient (the human parameter edits)")
    p.add_argument("--genotype", default="wt", help="wt or il6-ko (default wt)")
    p.add_argument("--treat", action="append", default=[], metavar="AGENT:DOSE@dDAY,...",
                   help="a treatment, e.g. anti-pdl1:200ug@d7,d10 or anti-il6r:2mg:iv@d0; repeat to combine. "
                        "Agents: anti-cd8, anti-ifnar1, anti-il12, anti-pdl1, anti-il6r, anti-il6, isotype, poly-ic")
    p.add_argument("--cells", type=cells, default=1e5, help="CT26 cells injected into the spleen (default 1e5)")
    p.add_argument("--days", type=days, default=28.0, help="days to follow (default 28)")
    p.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                   help="change a model parameter for this run (must stay within its prior)")


def model_and_protocol(args: argparse.Namespace):
    model = load_model(args.model)
    if args.set:
        model = model.with_parameters(dict(_parse_assignment(a) for a in args.set))
    treatments = tuple(Treatment.parse(t) for t in args.treat)
    return model, Protocol(args.genotype.lower(), treatments, Injection(cells=args.cells), days=args.days)


def _parse_assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise SpecError(f"--set {text!r}: write PARAM=VALUE, e.g. --set kill_max=4") from None
