"""Shared by the integration tests: one `immunomet reproduce` run that several tests read."""
import subprocess
import sys

import pytest


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory):
    """(completed process, working folder, run folder) of `immunomet reproduce --animals 3 --workers 2
    --quiet` in a fresh folder: the whole built-in study, the patient cohort, findings and report."""
    cwd = tmp_path_factory.mktemp("reproduce")
    proc = subprocess.run([sys.executable, "-m", "immunomet", "reproduce", "--animals", "3", "--workers", "2",
                           "--quiet"], capture_output=True, text=True, cwd=cwd, timeout=900)
    folders = sorted((cwd / "runs").glob("toyoshima2019-*"))
    return proc, cwd, folders[0] if folders else None
