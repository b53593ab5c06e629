"""How the default values of the immune-response parameters were chosen (docs/parameters.md).

A random search inside the published/assumed priors of ``SEARCHED`` for the parameter set whose
virtual mice show the effect directions F1-F7 with the widest margins. Each candidate is scored
on 8 virtual mice per scenario drawn with the default study's variability (the same
standard-normal draws for every candidate), under the default study's regimens: expected
visible nodules on day 21 from the closed-form colonisation statistics, the day the burden
reaches the humane end point, PD-L1, MHC-I and flow fractions. Medians (and, for the Il6-/- arms,
20th/80th percentiles, so that arms are graded rather than all-or-none) enter margins; the score
is the smallest margin until all exceed 0.3, then their mean, less a small penalty for values at
a prior bound. Measurement noise, nodule draws, the checklist's tests and the study's seed are
never seen here: ``immunomet validate`` tests the chosen set on the default study's cohorts.

The defaults came from

    python scripts/choose_defaults.py --candidates 1500 --rounds 4 --seed 9 \
        --start scripts/choose_defaults_start.json

The start point is the result of a first, uniform search (1500 x 6 rounds, seed 8) with an
earlier version of this objective (6 mice, without the anti-PD-L1, anti-IL-12 and anti-IFNAR1
percentile margins). The values were written into the parameter table rounded to 4 digits, with
"calibrated to F1-F7 (scripts/choose_defaults.py ...)" in their source.
"""
from __future__ import annotations

import argparse
import json
import math

import numpy as np

import immunomet as im
from immunomet.cohorts import Variability
from immunomet.simulate.cohort import batch_engine
from immunomet.simulate.colonization import lineage_statistics, visible_probability

SEARCHED = ("K_antigen", "K_dc_priming", "k_priming", "r_cd8", "k_differentiation", "d_cd8_effector",
            "kill_max", "s_kill", "K_pd1", "emax_ifn_pdl1", "p_ifn", "EC50_ifn", "k_exhaustion",
            "K_cd8_clone", "cd8_naive_0", "p_il12", "EC50_il12", "emax_ifn_maturation", "f_home_liver",
            "k_recall", "d_cd8_exhausted", "EC50_il6", "imax_il6_maturation", "K_encounter", "emax_ifn_mhc1", "s3_floor", "d_cd8_primed")

SCENARIOS = {  # name -> (genotype, treatments)
    "wt": ("wt", ["isotype:200ug@d-1,d3,d7,d10,d14,d17"]),
    "wt_pdl1": ("wt", ["anti-pdl1:200ug@d8,d11"]),
    "ko": ("il6-ko", ["isotype:200ug@d-1,d3,d7,d10,d14,d17"]),
    "ko_pdl1": ("il6-ko", ["anti-pdl1:200ug@d8,d11"]),
    "ko_cd8": ("il6-ko", ["anti-cd8:200ug@d-1,d3,d7,d10,d14,d17"]),
    "ko_ifnar": ("il6-ko", ["anti-ifnar1:250ug@d-1,d2,d5,d8,d11,d14,d17"]),
    "ko_il12": ("il6-ko", ["anti-il12:200ug@d-1,d0,d2,d4,d6"]),
}
DAYS, READ_DAY, DEATH_BURDEN = 60.0, 21.0, 1.0e9
ANIMALS, SPREAD = 8, 0.1  # the default study's variability


def sample(model, n, rng, centre=None, width=1.0):
    """Log-uniform draws inside each searched prior (or around ``centre`` with ``width`` in log10)."""
    rows = []
    for name in SEARCHED:
        lo, hi = model.parameters[name].prior
        if centre is None:
            rows.append(np.exp(rng.uniform(math.log(lo), math.log(hi), n)))
        else:
            c = math.log(centre[name])
            draw = rng.uniform(c - width * math.log(10), c + width * math.log(10), n)
            rows.append(np.exp(np.clip(draw, math.log(lo), math.log(hi))))
    return np.array(rows).T


def evaluate(model, values, animals=ANIMALS):
    """Median metrics per candidate row of ``values`` (columns SEARCHED) over ``animals`` virtual
    mice drawn around the candidate with the default study's variability (common random numbers:
    the same standard-normal draws for every candidate), one batched run per scenario."""
    eng = batch_engine(model)
    c = eng.compiled
    idx = [c.parameter_index[n] for n in SEARCHED]
    variability = Variability(spread=SPREAD)
    sigmas = variability.sigmas(model.parameters)
    vidx = np.array([c.parameter_index[n] for n in sigmas])
    sig = np.array(list(sigmas.values()))
    lo = np.array([model.parameters[n].prior[0] for n in sigmas])
    hi = np.array([model.parameters[n].prior[1] for n in sigmas])
    z = np.random.default_rng(12345).standard_normal((animals, len(sig)))
    out_t = np.arange(-1.0, DAYS + 0.5, 0.5)
    fine_t = np.arange(0.0, DAYS + 1e-9, 0.05)
    n_cand = len(values)
    metrics = {}
    for name, (genotype, treatments) in SCENARIOS.items():
        protocol = im.Protocol(genotype, [im.Treatment.parse(t) for t in treatments], days=DAYS,
                               injection=im.Injection(cells=1e5))
        params, doses = model.resolve(protocol)
        p = np.repeat(c.parameter_vector(params)[None, :], n_cand, axis=0)
        p[:, idx] = values
        p = np.repeat(p, animals, axis=0)  # candidate-major rows
        zz = np.tile(z, (n_cand, 1))
        p[:, vidx] = np.clip(p[:, vidx] * np.exp(sig * zz), lo, hi)
        run = eng.run(p, [doses] * len(p), DAYS, out_t, fine_t)
        arrested = 1e5 * params.value("f_liver_arrest")
        threshold = params.value("nodule_visible_cells")
        n_cells = run.states[:, :, c.species_index["cancer_cells"]]
        nodules, death_day = np.full(len(p), np.nan), np.full(len(p), np.nan)
        for a in range(len(p)):
            if run.status[a] != 0:
                continue
            stats = lineage_statistics(fine_t, run.rates[a, :, 0], run.rates[a, :, 1])
            surv, size = stats.at(READ_DAY)
            nodules[a] = arrested * surv * visible_probability(size, threshold)
            above = np.nonzero(n_cells[a] >= DEATH_BURDEN)[0]
            death_day[a] = out_t[above[0]] if len(above) else DAYS
        at = np.searchsorted(out_t, READ_DAY)
        rules = c.rule_values(np.array([READ_DAY]), run.states[:, at, :].T[:, None, :], p.T[:, None, :])
        med = lambda v: np.nanmedian(np.asarray(v, dtype=float).reshape(n_cand, animals), axis=1)  # noqa: E731
        q = lambda v, k: np.nanquantile(np.asarray(v, dtype=float).reshape(n_cand, animals), k, axis=1)  # noqa: E731
        metrics[name] = med(nodules), med(death_day), q(nodules, 0.2), q(nodules, 0.8)
        metrics[name + "_flow"] = {k: med(np.asarray(rules[k]).ravel()) for k in ("perforin_of_cd8", "mhc2hi_of_dc")}
        metrics[name + "_mfi"] = med(run.states[:, at, c.species_index["pdl1"]])
        metrics[name + "_mhc1"] = med(run.states[:, at, c.species_index["mhc1"]])
    return metrics


def margins(m):
    """Each finding's margin (log ratio beyond its required direction); the score is the smallest."""
    n = {k: np.maximum(m[k][0], 0.5) for k in SCENARIOS}
    t = {k: m[k][1] for k in SCENARIOS}
    lr = lambda a, b: np.log(n[a] / n[b])  # noqa: E731
    cols = {
        "F1 ko<wt": -lr("ko", "wt") - math.log(1.5),
        "F2 ko lives longer": (t["ko"] - t["wt"] - 3.0) / 3.0,
        "F3 cd8 restores": lr("ko_cd8", "ko") - math.log(1.5),
        "F3 cd8 ~wt": math.log(1.5) - np.abs(lr("ko_cd8", "wt")),
        "F5 ifnar worse": lr("ko_ifnar", "ko") - math.log(1.3),
        "F5 il12 worse": lr("ko_il12", "ko") - math.log(1.3),
        "F6 pdl1 ko>wt": np.log(m["ko_mfi"] / m["wt_mfi"]) - math.log(1.3),
        "F6 mhc1 ko>wt": np.log(m["ko_mhc1"] / m["wt_mhc1"]) - math.log(1.15),
        "ko graded: q20 >= 3% wt": np.log(np.maximum(m["ko"][2], 0.5) / (0.03 * n["wt"])),
        "ko graded: q80 <= 50% wt": np.log(0.5 * n["wt"] / np.maximum(m["ko"][3], 0.5)),
        "ko pdl1 graded: q80 <= 30% ko": np.log(0.3 * n["ko"] / np.maximum(m["ko_pdl1"][3], 0.5)),
        "il12 graded: q20 > ko median": np.log(np.maximum(m["ko_il12"][2], 0.5) / n["ko"]),
        "ifnar graded: q20 > ko q20": np.log(np.maximum(m["ko_ifnar"][2], 0.5) / np.maximum(m["ko"][2], 0.5)),
        "F4 prf ko>wt": np.log(m["ko_flow"]["perforin_of_cd8"] / m["wt_flow"]["perforin_of_cd8"]) - math.log(1.5),
        "F7 pdl1 works in ko": -lr("ko_pdl1", "ko") - math.log(1.5),
        "F7 pdl1 survival ko": (t["ko_pdl1"] - t["ko"] - 4.0) / 4.0,
        "F7 little in wt": math.log(1.25) + lr("wt_pdl1", "wt"),
        "F7 little survival wt": (2.0 - (t["wt_pdl1"] - t["wt"])) / 2.0,
        "wt nodules 100-1000": np.minimum(np.log(n["wt"] / 100), np.log(1000 / n["wt"])),
        "ko not cured (>= 10% wt)": np.log(n["ko"] / (0.1 * n["wt"])),
        "F4 mhc2hi ko>wt": np.log(m["ko_flow"]["mhc2hi_of_dc"] / m["wt_flow"]["mhc2hi_of_dc"]) - math.log(1.5),
        "wt death 18-35": np.minimum(t["wt"] - 18, 35 - t["wt"]) / 3.0,
    }
    table = np.array(list(cols.values())).T
    return list(cols), np.nan_to_num(table, nan=-9.0)


def edge_share(model, values):
    """Share of a candidate's values within 5% (of the log prior range) of a prior bound: values
    pinned to a bound mean the search wanted to leave the published range, so they are penalised."""
    lo = np.log([model.parameters[n].prior[0] for n in SEARCHED])
    hi = np.log([model.parameters[n].prior[1] for n in SEARCHED])
    pos = (np.log(values) - lo) / (hi - lo)
    return ((pos < 0.05) | (pos > 0.95)).mean(axis=1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=3, help="refinement rounds around the best so far")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default=None, help="JSON of a starting point (skips the uniform round)")
    args = ap.parse_args(argv)
    model = im.load_model()
    rng = np.random.default_rng(args.seed)
    current = {n: model.parameters[n].value for n in SEARCHED}
    if args.start:
        current.update(json.load(open(args.start)))
    best, best_score = None, -np.inf
    for r in range(args.rounds + 1):
        start = args.start is not None
        values = sample(model, args.candidates, rng, None if (r == 0 and not start) else current,
                        width=(0.5 if start else 1.0) / (r + 1))
        if start and r == 0:
            values[0] = [current[n] for n in SEARCHED]
        names, table = margins(evaluate(model, values))
        capped = np.minimum(table, 1.0)  # past a margin of 1, widen the others instead
        score = (np.minimum(capped.min(axis=1), 0.3) + 0.02 * capped.mean(axis=1)
                 - 0.1 * edge_share(model, values))
        i = int(np.argmax(score))
        print(f"round {r}: best score {score[i]:+.3f} (smallest margin {table[i].min():+.3f}); "
              f"every margin > 0: {(table.min(axis=1) > 0).sum()} of {len(score)}", flush=True)
        if score[i] > best_score:
            best_score, best = score[i], values[i]
            current = dict(zip(SEARCHED, best))
            worst = names[int(np.argmin(table[i]))]
            print("  limiting:", worst, f"at bounds: {edge_share(model, best[None, :])[0]:.2f}", " ".join(f"{k}={v!r}" for k, v in current.items()))
    print("chosen:", json.dumps(current))
    m = evaluate(model, best[None, :])
    for k in SCENARIOS:
        print(f"  {k:9s} nodules {m[k][0][0]:8.1f}  death day {m[k][1][0]:5.1f}  PD-L1 {m[k + '_mfi'][0]:.2f}")
    for name, margin in zip(*[margins(m)[0], margins(m)[1][0]]):
        print(f"  {name:24s} {margin:+.3f}")


if __name__ == "__main__":
    main()
