"""Probe, not the model: which mouse parameters set the patients' DFS hazard ratio by tumour IL-6?

The mouse recalibration of 2026-11-30 moved several parameters that the patient model inherits
(docs/calibration.md, "Why the tumour-IL-6 ratio moved"). This runs the built-in untreated cohort
``dfs_by_il6`` (500 patients, seed 2019) at the current defaults, then with each of those
parameters at its value before that recalibration (patient-scaled where the patient table scales
it), then with all of them there, and prints the Cox hazard ratio of relapse, tumour IL-6 high vs
low. It also prints, for the mouse calibration, the change in log-posterior when each parameter
that the calibration found not estimable goes back to its earlier value, alone and all four
together, to show whether the mouse targets inform them jointly. It changes no default.

    python scripts/probe_tumour_il6_hr.py [--patients 500] [--seed 2019]     # about 7 s on 2 cores
"""
from __future__ import annotations

import argparse

import numpy as np

from immunomet.analysis.dfs import dfs_by_il6
from immunomet.calibration import calibration_problem
from immunomet.models import load_model
from immunomet.studies import load_builtin, load_builtin_trial, plan_study, plan_trial, run_trial

# mouse values before the recalibration (commit 31cd2d6), each a sourced assumption or an earlier fit
BEFORE = {"k_window": 0.2682, "EC50_il6": 5.68, "imax_il6_cytokine": 0.85, "K_il6_tumour": 1.0e6,
          "k_il6_tme": 500.0, "cd8_bystander_0": 5.0e5, "foci_resident_fraction": 0.002}
NOT_ESTIMABLE = {"k_il6_tme": 500.0, "p_il6_tumour": 1.0e-7, "foci_resident_fraction": 0.002,
                 "cd8_bystander_0": 5.0e5}


def patient_values(before: dict) -> dict:
    """The patient model's value of each mouse value in ``before`` (scaled as the patient table scales it)."""
    mouse, patient = load_model("mouse").parameters, load_model("patient").parameters
    return {n: v * patient[n].value / mouse[n].value for n, v in before.items()}


def cohort_hr(edits: dict, patients: int, seed: int) -> dict:
    """The Cox HR (with its 95% CI) of relapse, tumour IL-6 high vs low, in the untreated cohort."""
    spec = load_builtin_trial("dfs_by_il6").model_copy(update={"seed": seed, "patients_per_arm": patients})
    if edits:
        spec = spec.model_copy(update={"parameters": {**(spec.parameters or {}), **edits}})
    return dfs_by_il6(run_trial(plan_trial(spec)).patients)["hr"]


def log_posterior_change(values: dict) -> float:
    """Change of the mouse calibration's log-posterior when the named parameters take ``values``."""
    plan = plan_study(load_builtin("toyoshima2019"))
    problem = calibration_problem(plan, list(values))
    back = problem.to_scale(np.array(list(values.values())))
    lp = problem.log_posterior(np.vstack([problem.defaults(), back]))
    return float(lp[1] - lp[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2019)
    args = parser.parse_args()
    old = patient_values(BEFORE)
    variants = [("current defaults", {})] + [(f"{n} back to {BEFORE[n]:g}", {n: v}) for n, v in old.items()]
    variants.append(("all of them back", old))
    for label, edits in variants:
        hr = cohort_hr(edits, args.patients, args.seed)
        print(f"{label:38s} HR {hr['hr']:.2f} ({hr['hr_low']:.2f}-{hr['hr_high']:.2f})", flush=True)
    print("\nmouse calibration, log-posterior change when the parameters fixed as not estimable go back:")
    for name, value in NOT_ESTIMABLE.items():
        print(f"  {name} alone to {value:g}: {log_posterior_change({name: value}):+.2f}")
    print(f"  all four together: {log_posterior_change(NOT_ESTIMABLE):+.1f}")


if __name__ == "__main__":
    main()
