"""Hostile input through the CLI: every broken spec, flag, table and run folder gets one clear line.

The cases come from ``hostile.py`` (a seeded generator; see its docstring). Each must end with exit
2 and exactly one line on stderr that names the file or field, within the time limit: no
traceback, no hang, no silent acceptance. Damaged run folders: ``validate`` and ``report`` refuse
them in one line, ``check`` lists what is wrong (exit 1), ``resume`` repairs what it can (exit 0,
after which ``check`` finds nothing) and refuses the rest in one line.
"""
import pytest

from .hostile import fit_cases, flag_cases, run_case, run_folder_cases, spec_cases

LIMIT = 60.0
SPEC_CASES = spec_cases("study", 120, seed=2026) + spec_cases("trial", 60, seed=2027)


def _assert_one_line_error(case, outcome):
    assert not outcome.crash, f"{case.name}: {outcome.crash}"
    assert outcome.code != 0, f"{case.name}: accepted silently: {outcome.stdout[-300:]}"
    assert outcome.code == 2 and outcome.one_line, f"{case.name}: exit {outcome.code}: {outcome.stderr[-500:]}"
    assert "Traceback" not in outcome.stderr


@pytest.mark.parametrize("case", SPEC_CASES, ids=lambda c: c.name[:80])
def test_a_broken_spec_is_one_line(case, tmp_path):
    _assert_one_line_error(case, run_case(case, tmp_path, LIMIT))


@pytest.mark.parametrize("case", flag_cases(), ids=lambda c: c.name[:80])
def test_a_bad_flag_or_path_is_one_line(case, tmp_path):
    _assert_one_line_error(case, run_case(case, tmp_path, LIMIT))


@pytest.mark.parametrize("case", fit_cases(), ids=lambda c: c.name[:80])
def test_a_broken_data_table_is_one_line(case, tmp_path):
    _assert_one_line_error(case, run_case(case, tmp_path, LIMIT))


@pytest.mark.parametrize("case", run_folder_cases(), ids=lambda c: c.name[:80])
def test_a_damaged_run_is_refused_listed_or_repaired(case, tmp_path):
    outcome = run_case(case, tmp_path, LIMIT)
    assert not outcome.crash, f"{case.name}: {outcome.crash}"
    assert "Traceback" not in outcome.stderr
    command = case.argv[0]
    if command == "check" and outcome.code == 1:
        assert outcome.stdout.strip(), case.name  # the problems are listed
        return
    if command == "resume" and outcome.code == 0:
        again = run_case(type(case)(case.name, ["check", "runs/r"]), tmp_path, LIMIT)
        assert again.code == 0, f"{case.name}: resume left {again.stdout}"
        return
    assert outcome.code == 2 and outcome.one_line, f"{case.name}: exit {outcome.code}: {outcome.stderr[-500:]}"
