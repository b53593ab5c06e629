"""Hostile inputs for the fuzz suite: a seeded generator of broken study and trial specs, command
lines, own-data tables and damaged run folders, and a harness that runs each through the CLI.

Every case is nonsense by construction (a value no experiment can have, a wrong type, a damaged
file), so the only right answer is one line on stderr that names the file or field and the fix,
and exit 2: never a traceback, a hang, a silent acceptance, or a run where every animal failed.
"""
from __future__ import annotations

import contextlib
import copy
import io
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

NAN, INF = float("nan"), float("inf")
BASE_STUDY = {"name": "fuzz", "seed": 1, "animals_per_arm": 1, "readout_days": [7], "follow_up": 7,
              "arms": [{"name": "a", "treatments": [{"agent": "anti-pdl1", "dose": 200, "days": [3]}]},
                       {"name": "b", "genotype": "il6-ko"}]}
BASE_TRIAL = {"name": "fuzz", "seed": 1, "patients_per_arm": 2, "follow_up_years": 0.1,
              "arms": [{"name": "c"}, {"name": "d", "treatments": [{"agent": "atezolizumab", "dose": "1200mg",
                                                                    "days": [5]}]}]}
# values of the wrong kind for a field holding text, a number, a list or a mapping
WRONG_TYPES = {str: [None, True, [], {}, 3.5], float: [None, True, "x", [], {}, NAN, INF, -INF],
               list: [None, True, "x", {}], dict: [None, True, "x", [], 5]}  # a single day is a list of one

# path in the spec -> values no experiment can have (beside the wrong types above)
STUDY_VALUES = {
    ("name",): ["", "a/b", "../x", "x" * 300],
    ("seed",): [-1, 1.5, 2 ** 70],
    ("animals_per_arm",): [0, -3, 2.5, 10 ** 9],
    ("readout_days",): [[7, 7], [NAN], [INF], [-5], ["x"], [0]],
    ("follow_up",): [0, -1, 10 ** 9],
    ("injection", "cells"): [0, -1, 1e20],
    ("injection", "day"): [-1e8, 1e8],
    ("injection", "route"): ["oral", 3],
    ("arms",): [[], [{}], [{"name": ""}], "x"],
    ("arms", 0, "genotype"): ["il6-ki", 5],
    ("arms", 0, "animals"): [0, 10 ** 9],
    ("arms", 0, "readout_days"): [[NAN], [7, 7]],
    ("arms", 0, "follow_up"): [0],
    ("arms", 0, "treatments", 0, "dose"): [-1, 1e15, "lots"],
    ("arms", 0, "treatments", 0, "days"): [[NAN], [INF], [-1e8], [], "d8,,d11", [3, 3]],
    ("arms", 0, "treatments", 0, "agent"): ["", "anti-foo"],
    ("arms", 0, "treatments", 0, "route"): ["oral"],
    ("parameters",): [{"kill_max": NAN}, {"kill_max": "x"}, {"nope": 1}, {"kill_max": True}, {"kill_max": 1e9}],
    ("variability", "spread"): [-1, 2],
    ("variability", "parameters"): [["nope"], "some"],
    ("measurement_noise", "flow_events"): [-1, 10 ** 12],
    ("measurement_noise", "assay_cv"): [5],
    ("humane_endpoint", "above"): [0],
    ("humane_endpoint", "observable"): ["nope"],
    ("cell_line", "growth_rate"): [0, 1e6],
    ("cell_line", "il6_secretion"): [-1],
}
TRIAL_VALUES = {
    ("name",): ["", "a/b"],
    ("seed",): [-1, 1.5],
    ("patients_per_arm",): [0, 1, 10 ** 9],
    ("follow_up_years",): [0, 100],
    ("disseminated_cells",): [0, 1e30],
    ("scan_every",): [-1],
    ("paired",): ["maybe"],
    ("power",): [0, 1, 2],
    ("population", "il6_high_fraction"): [0, 1],
    ("population", "tumour_il6_sd_decades"): [-1, 50],
    ("parameters",): [{"nope": 1}, {"kill_max": NAN}],
    ("arms",): [[], [{"name": "c"}, {"name": "c"}]],
    ("arms", 1, "treatments", 0, "days"): [[NAN], [-5], [1e7], []],
    ("arms", 1, "treatments", 0, "dose"): [-1, "lots", 1e15],
    ("arms", 1, "treatments", 0, "agent"): ["aspirin"],
}


OPTIONAL = {("arms", 0, "animals"), ("arms", 0, "readout_days"), ("arms", 0, "follow_up"), ("cell_line", "growth_rate"),
            ("cell_line", "il6_secretion"), ("humane_endpoint", "above"), ("humane_endpoint", "observable")}  # None: the default


@dataclass
class Case:
    """One hostile input: a CLI command line and the files it needs (written into a fresh folder)."""

    name: str
    argv: list[str]
    files: dict[str, str] = field(default_factory=dict)
    prepare: object = None  # callable(folder) making damaged run folders etc.


@dataclass
class Outcome:
    code: int | None
    stderr: str
    stdout: str
    seconds: float
    crash: str = ""  # the exception that escaped main(), if any

    @property
    def one_line(self) -> bool:
        return self.stderr.strip().count("\n") == 0 and self.stderr.strip() != ""


def _set(spec: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(spec)
    node = out
    for key in path[:-1]:
        node = node[key] if isinstance(key, int) or key in node else node.setdefault(key, {})
    node[path[-1]] = value
    return out


def _dump(spec) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


def spec_cases(kind: str, n: int, seed: int) -> list[Case]:
    """``n`` broken specs of ``kind`` ('study' or 'trial'): each field's impossible values, wrong
    types at random fields (seeded), and broken documents."""
    base, values = (BASE_STUDY, STUDY_VALUES) if kind == "study" else (BASE_TRIAL, TRIAL_VALUES)
    command = ["run"] if kind == "study" else ["trial"]
    cases = [Case(f"{kind}.{'.'.join(map(str, p))}={v!r}", [*command, "spec.yaml"], {"spec.yaml": _dump(_set(base, p, v))})
             for p, vs in values.items() for v in vs]
    rng = np.random.default_rng(seed)
    paths = list(values)
    for k in range(max(0, n - len(cases))):
        path = paths[rng.integers(len(paths))]
        kind_of = type(values[path][0])
        wrong = [w for w in WRONG_TYPES[float if kind_of in (int, float) else kind_of]
                 if not (w is None and path in OPTIONAL)]
        value = wrong[rng.integers(len(wrong))]
        cases.append(Case(f"{kind}.{'.'.join(map(str, path))}=<{value!r}>#{k}", [*command, "spec.yaml"],
                          {"spec.yaml": _dump(_set(base, path, value))}))
    text = _dump(base)
    cases += [
        Case(f"{kind}: duplicate key", [*command, "spec.yaml"], {"spec.yaml": text + "name: again\n"}),
        Case(f"{kind}: not a mapping", [*command, "spec.yaml"], {"spec.yaml": "- a\n- b\n"}),
        Case(f"{kind}: empty file", [*command, "spec.yaml"], {"spec.yaml": ""}),
        Case(f"{kind}: not YAML", [*command, "spec.yaml"], {"spec.yaml": "name: [unclosed\n"}),
        Case(f"{kind}: binary", [*command, "spec.yaml"], {"spec.yaml": "\x00\x01\x02\xff"}),
        Case(f"{kind}: missing file", [*command, "nothere.yaml"]),
        Case(f"{kind}: a folder", [*command, "."]),
    ]
    return cases


def run_case(case: Case, folder: Path, limit: float = 60.0) -> Outcome:
    """Run ``case`` through ``immunomet.cli.main`` in ``folder`` (its files written there), with a
    time limit (a hang is reported as a crash)."""
    import os

    from immunomet.cli.main import main

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in case.files.items():
        (folder / name).write_text(text)
    if case.prepare is not None:
        case.prepare(folder)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()

    def _timeout(signum, frame):
        raise TimeoutError(f"no answer within {limit:g} s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        os.chdir(folder)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(case.argv)
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 1
        return Outcome(code, err.getvalue(), out.getvalue(), time.perf_counter() - start)
    except BaseException as exc:  # noqa: BLE001 - the harness reports whatever escaped
        return Outcome(None, err.getvalue(), out.getvalue(), time.perf_counter() - start,
                       f"{type(exc).__name__}: {exc}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(cwd)


TINY = {"name": "tiny", "seed": 1, "animals_per_arm": 1, "readout_days": [5], "follow_up": 5, "arms": [{"name": "a"}]}
FLAG_CASES = {  # subcommand (+ fixed arguments) -> flags, each with values no run can have
    ("simulate", "--days", "3"): {"--days": ["1e9", "inf", "nan", "-1", "0"], "--cells": ["1e20", "inf", "nan", "0"],
                                  "--treat": ["anti-pdl1:200ug@d1e9", "anti-pdl1:infug@d2", "anti-pdl1:200ug@dnan",
                                              "x", "anti-pdl1:1e15ug@d2", "anti-pdl1:200ug@d2,d2"],
                                  "--set": ["kill_max=nan", "kill_max=inf", "kill_max=1e9", "nope=1", "kill_max"],
                                  "--seed": ["-1", "x"], "--genotype": ["il6-ki"], "--model": ["nope"],
                                  "--out": ["/proc/immunomet-fuzz/out"], "--engine": ["nope"], "--method": ["Euler"]},
    ("run", "tiny.yaml"): {"--animals": ["0", "-1", "1e9", "100000000"], "--chunk-size": ["0", "x"],
                           "--workers": ["0"], "--seed": ["-1"], "--engine": ["foo"], "--scheduler": ["x"],
                           "--root": ["/proc/immunomet-fuzz"], "--out": ["/proc/immunomet-fuzz/run"]},
    ("power", "tiny.yaml"): {"--pool": ["0"], "--reps": ["0"], "--power": ["2", "nan", "0"]},
    ("patients",): {"--high-fraction": ["1", "nan", "0"], "--patients": ["0", "1"]},
    ("trial", "dfs_by_il6"): {"--patients": ["0"], "--reps": ["0"]},
    ("optimize", "--goal", "survival"): {"--robust": ["cvar:2", "cvar:x", "foo"], "--agents": ["nope"],
                                         "--individuals": ["0"], "--evaluations": ["0"], "--validation": ["0"]},
    ("sensitivity",): {"--method": ["nope"], "--n": ["0"], "--parameters": ["nope"], "--readouts": ["nope"],
                       "--readout-day": ["0", "nan", "99"], "--follow-up": ["nan", "-1"], "--cells": ["1e20"]},
    ("calibrate",): {"--steps": ["0"], "--parameters": ["nope"], "--required": ["F99"], "--animals": ["0"]},
    ("export-sbml",): {"--out": ["/proc/immunomet-fuzz.xml"], "--days": ["nan"], "--treat": ["x"]},
}
MISSING_THINGS = [["run", "nothere.yaml"], ["resume", "nothere"], ["validate", "nothere"], ["report", "nothere"],
                  ["power", "nothere.yaml"], ["fit", "nothere"], ["predict", "tiny.yaml", "--population", "nothere"],
                  ["trial", "nothere"], ["runs", "--root", "tiny.yaml"], ["study", "show", "nothere"],
                  ["resume", "."], ["validate", "."], ["report", "."]]


def flag_cases() -> list[Case]:
    """Every flag of ``FLAG_CASES`` with each of its impossible values, and commands pointed at
    files or folders that do not exist or are not what they should be."""
    files = {"tiny.yaml": _dump(TINY)}
    cases = [Case(" ".join([*base, flag, value]), [*base, flag, value, "--quiet"] if base[0] not in
                  ("simulate", "export-sbml", "power") else [*base, flag, value], files)
             for base, flags in FLAG_CASES.items() for flag, values in flags.items() for value in values]
    cases += [Case(" ".join(argv), argv, files) for argv in MISSING_THINGS]
    return cases


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "own_data" / "synthetic"


def _table_edit(table: str, row: int, column: str, value: str):
    """A ``prepare`` that copies the example problem and sets one cell (``row`` counts data rows from 0;
    -1 drops every data row)."""
    def prepare(folder: Path) -> None:
        import shutil

        shutil.copytree(EXAMPLE, folder / "data")
        path = folder / "data" / f"{table}.tsv"
        lines = path.read_text().splitlines()
        if row == -1:
            lines = lines[:1]
        elif column == "*":
            lines[row + 1] = value
        else:
            cells = lines[row + 1].split("\t")
            cells[lines[0].split("\t").index(column)] = value
            lines[row + 1] = "\t".join(cells)
        path.write_text("\n".join(lines) + "\n")
    return prepare


FIT_EDITS = [
    ("parameters", 0, "parameterId", "kill_maxx"),       # a misspelt model parameter
    ("parameters", 2, "nominalValue", "-3"),
    ("parameters", 0, "lowerBound", "nan"),
    ("parameters", 0, "estimate", "2"),
    ("parameters", 0, "parameterScale", "ln"),
    ("parameters", -1, "", ""),
    ("measurements", 0, "measurement", "-5"),            # a negative count
    ("measurements", 0, "measurement", "12.5"),          # a count that is not a whole number
    ("measurements", 0, "measurement", "nan"),
    ("measurements", 0, "measurement", "inf"),
    ("measurements", 0, "time", "1e9"),
    ("measurements", 0, "time", "-1"),
    ("measurements", 0, "conditionId", "nope"),
    ("measurements", -1, "", ""),
    ("measurements", 0, "*", "garbage line without tabs"),
    ("conditions", 0, "cells", "1e20"),
    ("conditions", 0, "cells", "0"),
    ("conditions", 1, "conditionId", "wt"),              # a conditionId twice
    ("conditions", 0, "treatments", "anti-pdl1:200ug@d1e9"),
    ("conditions", 0, "treatments", "anti-pdl1:200ug@d40"),   # a dose after the condition's last measurement
    ("observables", 1, "observableId", "nodules"),       # an observableId twice
    ("observables", 2, "noiseParameter", "-0.15"),
    ("observables", 1, "noiseDistribution", "cauchy"),
]


def fit_cases() -> list[Case]:
    """The example own-data problem with one broken cell (or table) each, through ``immunomet fit``."""
    cases = [Case(f"fit {t}[{r}].{c}={v!r}", ["fit", "data", "--quiet", "--no-profiles", "--starts", "1"],
                  prepare=_table_edit(t, r, c, v)) for t, r, c, v in FIT_EDITS]
    lognormal = _lognormal_negative
    cases.append(Case("fit: negative value of a log-normal observable", ["fit", "data", "--quiet"], prepare=lognormal))
    return cases


def _lognormal_negative(folder: Path) -> None:
    _table_edit("measurements", 0, "measurement", "1")(folder)
    path = folder / "data" / "measurements.tsv"
    lines = path.read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("pdl1\t"))
    cells = lines[i].split("\t")
    cells[-1] = "-2.0"
    lines[i] = "\t".join(cells)
    path.write_text("\n".join(lines) + "\n")


def _finished_run(folder: Path) -> Path:
    from immunomet.cli.main import main

    (folder / "tiny.yaml").write_text(_dump({**TINY, "arms": [{"name": "a"}, {"name": "b", "genotype": "il6-ko"}]}))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["run", str(folder / "tiny.yaml"), "--out", str(folder / "runs" / "r"), "--quiet",
                     "--chunk-size", "1"]) == 0
    return folder / "runs" / "r"


def _damage(edit):
    def prepare(folder: Path) -> None:
        edit(_finished_run(folder))
    return prepare


def _write(name: str, text: str):
    return lambda run: (run / name).write_text(text)


def _garble(name: str):
    return lambda run: (run / name).write_bytes(b"\x00\xff" + (run / name).read_bytes()[7:40])


RUN_DAMAGE = {
    "deleted part": lambda run: (run / "tables" / "readouts" / "part-00000.parquet").unlink(),
    "truncated part": _garble("tables/animals/part-00001.parquet"),
    "no provenance": lambda run: (run / "provenance.json").unlink(),
    "garbled provenance": _write("provenance.json", "{not json"),
    "no job record": lambda run: (run / "job.json").unlink(),
    "garbled job record": _write("job.json", "[1, 2"),
    "job record of another kind": _write("job.json", '{"kind": "mystery"}'),
    "edited study": lambda run: (run / "study.yaml").write_text((run / "study.yaml").read_text()
                                                                .replace("il6-ko", "wt")),
    "garbled manifest": _write("manifest.jsonl", "{\"task\": 0, \"tables\": 5}\nnot json\n"),
    "empty folder": lambda run: shutil.rmtree(run) or run.mkdir(),
}


def run_folder_cases() -> list[Case]:
    """A finished run damaged one way each, through every command that reads a run."""
    return [Case(f"{command} on a run with {what}", [command, "runs/r"] + (["--quiet"] if command != "check" else []),
                 prepare=_damage(edit))
            for what, edit in RUN_DAMAGE.items() for command in ("validate", "report", "check", "resume")]

