"""Wall time of one simulated mouse per solver and protocol (scipy reference path, and the
batched engine on a cohort of one).

Run: python benchmarks/single_mouse.py [--repeat N]
Prints a table; used to choose the default solver and to size studies before the batched engine.
"""
from __future__ import annotations

import argparse
import time

from immunomet import Protocol, SolverOptions, Treatment, load_model, simulate

PROTOCOLS = {
    "wt, 28 d": Protocol("wt", days=28),
    "il6-ko + anti-pdl1, 40 d": Protocol("il6-ko", (Treatment("anti-pdl1", 200, (7, 10)),), days=40),
    "wt + anti-cd8 x6, 28 d": Protocol("wt", (Treatment("anti-cd8", 200, (-1, 3, 7, 11, 15, 19)),), days=28),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model = load_model()
    simulate(model, Protocol(days=1))  # load (or compile) the batched engine once
    print(f"{'protocol':<28} {'engine':<13} {'s/mouse':>8} {'mice/s':>7} {'visible':>8}")
    for label, protocol in PROTOCOLS.items():
        for engine, method in (("scipy", "LSODA"), ("scipy", "BDF"), ("scipy", "Radau"), ("batch", "BDF")):
            start = time.perf_counter()
            for seed in range(args.repeat):
                result = simulate(model, protocol, seed=seed, options=SolverOptions(method=method), engine=engine)
            per = (time.perf_counter() - start) / args.repeat
            name = f"{engine} {method}" if engine == "scipy" else "batch (1)"
            print(f"{label:<28} {name:<13} {per:>8.3f} {1 / per:>7.1f} {result.nodules.visible:>8d}")


if __name__ == "__main__":
    main()
