"""Report figures and tables on small hand-made results: Kaplan-Meier steps and numbers at risk,
arms grouped by genotype and treatment, significance brackets from the findings' tests only, time
courses that end when half an arm reached the end point, compact tables and provenance."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from immunomet.analysis.findings import FINDINGS, FindingResult  # noqa: E402
from immunomet.report import figures  # noqa: E402
from immunomet.report.tables import findings_compact, provenance_summary, summary_compact  # noqa: E402
from immunomet.studies import StudyResult  # noqa: E402
from immunomet.studies.plotting import arm_layout, draw_dots, draw_km, km_steps, stars  # noqa: E402

ARMS = {"WT iso": ("wt", "isotype:200ug@d1"), "WT pdl1": ("wt", "anti-pdl1:200ug@d8"),
        "KO iso": ("il6-ko", "isotype:200ug@d1"), "KO pdl1": ("il6-ko", "anti-pdl1:200ug@d8,d11")}


def small_result(deaths_by_arm=None) -> StudyResult:
    rows, reads, courses = [], [], []
    for arm, (genotype, _) in ARMS.items():
        for i in range(4):
            death_day = (deaths_by_arm or {}).get(arm, [None] * 4)[i]
            rows.append({"arm": arm, "part": "colonisation", "animal": i, "genotype": genotype, "status": "success",
                         "message": "", "survival_day": death_day or 10.0, "death": death_day is not None,
                         "seed_key": 0})
            reads.append({"arm": arm, "animal": i, "day": 9.0, "visible_nodules": 10.0 * i + (arm == "WT iso") * 50})
            for day in range(11):
                alive = death_day is None or day <= death_day
                courses.append({"arm": arm, "animal": i, "day": float(day),
                                "tumour_burden": float(10 ** (day / 2)) if alive else np.nan})
    spec = {"name": "small", "arms": [{"name": a, "genotype": g, "treatments": [t]} for a, (g, t) in ARMS.items()]}
    return StudyResult(pd.DataFrame(rows), pd.DataFrame(reads), pd.DataFrame(courses), pd.DataFrame(),
                       {"study": "small", "seed": 3, "arms": list(ARMS), "spec": spec, "model_hash": "abc"})


def test_kaplan_meier_steps_match_lifelines_and_end_at_the_last_observation():
    from lifelines import KaplanMeierFitter

    days = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    death = np.array([True, True, False, True, False])
    t, s, censored = km_steps(days, death)
    fit = KaplanMeierFitter().fit(days, death)
    assert np.allclose(s, fit.survival_function_at_times(t).to_numpy())
    assert t[-1] == 5.0 and list(censored) == [2.0, 5.0]
    t, s, _ = km_steps(np.array([1.0, 4.0]), np.array([True, True]))
    assert t[-1] == 4.0 and s[-1] == 0.0  # everyone died: the curve ends at the last death, at 0


def test_numbers_at_risk_are_written_under_the_curves():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    groups = {"a": (np.array([2.0, 5.0, 10.0, 10.0]), np.array([True, True, False, False]))}
    draw_km(ax, groups, {"a": "k"}, {}, {"a": "arm a"})
    ticks = list(ax.get_xticks())
    at_risk = [t.get_text() for t in ax.texts if t.get_text().isdigit()]
    assert at_risk == [str(int(np.sum(groups["a"][0] >= t))) for t in ticks]
    assert any(t.get_text() == "number at risk" for t in ax.texts)
    plt.close(fig)


@pytest.mark.parametrize("p, mark", [(0.0004, "***"), (0.004, "**"), (0.04, "*"), (0.2, "ns"), (np.nan, "ns")])
def test_stars(p, mark):
    assert stars(p) == mark


def test_arms_are_grouped_by_genotype_and_labelled_by_treatment():
    layout = arm_layout(small_result(), list(ARMS))
    assert [g[0] for g in layout.groups] == ["WT", "Il6-/-"]
    assert [layout.labels[a] for a in layout.arms] == ["isotype", "anti-PD-L1", "isotype", "anti-PD-L1"]
    assert layout.x["KO iso"] - layout.x["WT pdl1"] > 1.0  # a gap between the genotype groups


def _finding(rows) -> FindingResult:
    return FindingResult(FINDINGS[0], "PASS", pd.DataFrame(rows))


def test_brackets_come_from_the_findings_tests_only():
    tested = {"readout": "visible_nodules", "reference": "WT iso", "arm": "KO iso", "direction": "lower",
              "p_adjusted": 0.003}
    similar = {**tested, "arm": "WT pdl1", "direction": "similar", "p_adjusted": np.nan}
    marks = figures.finding_marks([_finding([tested, similar])])
    assert marks == {"visible_nodules": [("WT iso", "KO iso", 0.003, "F1")]}
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    result = small_result()
    draw_dots(ax, result.wide(9.0), arm_layout(result, list(ARMS)), "visible_nodules", "nodules (count)",
              [(a, b, p) for a, b, p, _ in marks["visible_nodules"]])
    assert [t.get_text() for t in ax.texts if "*" in t.get_text()] == ["**"]
    assert ax.get_ylim()[1] > result.wide(9.0)["visible_nodules"].max()  # the bracket sits above the data
    plt.close(fig)


def test_time_courses_end_when_half_the_arm_reached_the_end_point():
    result = small_result({"KO iso": [3.0, 4.0, None, None], "WT iso": [2.0, 3.0, 4.0, None]})
    fig = figures.timecourse_figure(result, list(ARMS))
    lines = {line.get_label(): line for line in fig.axes[0].lines if not line.get_label().startswith("_")}
    assert max(lines["Il6-/- isotype"].get_xdata()) == 10.0   # 2 of 4 alive: still half the arm
    assert max(lines["WT isotype"].get_xdata()) == 4.0        # from day 5 only 1 of 4 is alive
    assert max(lines["WT anti-PD-L1"].get_xdata()) == 10.0


def test_compact_tables_and_provenance_behind_a_toggle():
    result = small_result()
    table = summary_compact(result)
    assert list(table["treatment"]) == ["isotype", "anti-PD-L1", "isotype", "anti-PD-L1"]
    assert list(table["genotype"]) == ["WT", "WT", "Il6-/-", "Il6-/-"] and "nodules" in table
    criteria = pd.DataFrame([{"finding": "F1", "status": "PASS", "readout": "visible_nodules", "reference": "WT iso",
                              "arm": "KO iso", "direction": "lower", "effect": "ratio of medians", "estimate": 0.5,
                              "low": 0.2, "high": 0.9, "p_adjusted": 0.003, "n_arm": 4, "n_ref": 4}])
    row = findings_compact(criteria).iloc[0]
    assert row["effect [95% CI]"] == "ratio of medians 0.5 [0.2, 0.9]" and row["p (Holm)"] == "0.003 **"
    page = provenance_summary({**result.provenance, "engine": "batch", "parameters": {"kill_max": 2.0}})
    assert "<dt>seed</dt><dd>3</dd>" in page and "<details>" in page and "&quot;kill_max&quot;: 2.0" in page
