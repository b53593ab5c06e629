"""Calibration recovers known parameters from synthetic data drawn from the model itself.

The shipped example (examples/own_data/synthetic, written by scripts/make_synthetic_data.py) is
regenerated and must equal the shipped tables; fitting it from the model's defaults must converge
and land near the values the data were drawn with. The profile-likelihood intervals are checked
for what they claim: over independent synthetic data sets, the 95% interval of each parameter
covers its true value in most of them (Raue et al. 2009, Bioinformatics 25:1923; the coverage of
likelihood-ratio intervals is asymptotically the nominal level).
"""
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

pytest.importorskip("numba")  # each fit is ~1,500 batched simulations

from immunomet.calibration.fitter import Fitter, synthetic_measurements  # noqa: E402
from immunomet.calibration.own_data import load_problem  # noqa: E402
from immunomet.models import mouse_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


sys.path.insert(0, str(ROOT / "scripts"))
import make_synthetic_data as GEN  # noqa: E402  (the shipped example's generator)


def test_shipped_tables_are_what_the_generator_writes(tmp_path):
    GEN.tables().save(tmp_path)
    for name in ("conditions", "observables", "measurements", "parameters"):
        assert (tmp_path / f"{name}.tsv").read_text() == (ROOT / "examples/own_data/synthetic" / f"{name}.tsv").read_text()


def test_fit_of_shipped_data_converges_near_the_true_values():
    fit = Fitter(load_problem(ROOT / "examples/own_data/synthetic", mouse_model())).fit(starts=2, seed=0)
    assert fit.status == "converged" and fit.starts_at_best == 2
    summary = fit.summary.set_index("parameter")
    for name, true in GEN.TRUE.items():
        assert summary.loc[name, "identifiable"] == "yes"
        assert summary.loc[name, "estimate"] == pytest.approx(true, rel=0.3), name
    for name in ("kill_max", "emax_ifn_pdl1"):  # well determined: within 10%, inside the 95% interval
        assert summary.loc[name, "estimate"] == pytest.approx(GEN.TRUE[name], rel=0.1)
        assert summary.loc[name, "ci_low"] <= GEN.TRUE[name] <= summary.loc[name, "ci_high"]
    fitted = fit.fitted()
    assert fitted["prediction"].notna().all()


def test_profile_intervals_cover_the_truth_in_most_data_sets():
    base = GEN.tables()
    design = base.measurements[["observableId", "conditionId", "time"]].drop_duplicates().reset_index(drop=True)
    sets, covered = 4, []
    for seed in range(sets):
        data = synthetic_measurements(base, GEN.TRUE, design, GEN.REPLICATES, 1000 + seed)
        summary = Fitter(replace(base, measurements=data)).fit(starts=1).summary.set_index("parameter")
        covered.append({n: summary.loc[n, "ci_low"] <= v <= summary.loc[n, "ci_high"] for n, v in GEN.TRUE.items()})
    hits = pd.DataFrame(covered).sum()
    # with true coverage 0.95, P(at most 2 of 4) = 0.014: fewer would mean the intervals are too narrow
    assert stats.binom.cdf(2, sets, 0.95) == pytest.approx(0.014, abs=5e-4)
    assert (hits >= 3).all(), hits.to_dict()
