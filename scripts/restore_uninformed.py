"""Apply the calibration's rule for parameters the targets cannot inform to a calibration made
before the rule existed (docs/calibration.md, "How", step 2).

The rule (``calibration.run.restore_uninformed``): a searched parameter that is not estimable at
the MAP goes back to its value before the search (what its source gives), least informative
first, while the log-posterior stays within 0.5 of the MAP's. Earlier calibrations fixed such
parameters at the MAP, i.e. wherever the search happened to leave them.

This reads the calibration folder (``calibration.json``: the MAP of every searched parameter;
``estimability.csv``: the ranking), takes the values before that calibration from the parameter
table at git revision ``--before``, applies the rule at that MAP and prints what it restores;
``--write`` puts the restored values, with the rule's source note, into the mouse parameter
table. The estimated parameters keep their values.

    python scripts/restore_uninformed.py runs/cal --before 31cd2d6 [--write]
"""
from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pandas as pd
import yaml

from immunomet.calibration.defaults import fixed_source, rewrite_parameters
from immunomet.calibration.run import calibration_problem, restore_uninformed, uninformed_note
from immunomet.studies import load_builtin, plan_study
from immunomet.workflows.calibration import mouse_parameter_table


def table_at(revision: str) -> dict:
    path = mouse_parameter_table().relative_to(Path(__file__).resolve().parents[1])
    text = subprocess.run(["git", "show", f"{revision}:{path}"], capture_output=True, text=True, check=True).stdout
    return yaml.safe_load(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calibration", type=Path)
    parser.add_argument("--before", required=True, help="git revision of the parameter table before the calibration")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    meta = json.loads((args.calibration / "calibration.json").read_text())
    ranking = pd.read_csv(args.calibration / "estimability.csv")
    fixed = ranking.loc[~ranking["estimable"], "parameter"].tolist()
    plan = plan_study(load_builtin("toyoshima2019"))
    at_map = plan.model.with_parameters(meta["map"])
    before = plan.model.with_parameters({n: table_at(args.before)[n]["value"] for n in meta["searched"]})
    problem = calibration_problem(plan, meta["searched"], model=at_map)
    model, restored = restore_uninformed(problem, before.parameters, fixed)
    for name in fixed:
        state = (f"back to {model.parameters[name].value:g} (MAP {restored[name]:g})" if name in restored
                 else f"stays at the MAP, {model.parameters[name].value:g}")
        print(f"{name:24s} {state}")
    if args.write and restored:
        remainder = ranking.set_index("parameter")["remainder"]
        sources = {n: fixed_source(plan.model.parameters[n].source, uninformed_note(remainder[n], meta["cutoff"], True))
                   for n in restored}
        rewrite_parameters(mouse_parameter_table(), {n: model.parameters[n].value for n in restored}, sources)
        print(f"wrote {', '.join(restored)} to {mouse_parameter_table()}")


if __name__ == "__main__":
    main()
