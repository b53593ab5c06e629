"""Run folders (tables written task by task, a manifest, provenance) and the catalog of all runs."""
from .catalog import Catalog
from .execute import JOB_KINDS, check, execute, execute_study, open_run, rebuild_job, resume
from .integrity import Problem
from .run_folder import RunFolder
from .sink import RunFolderSink, load_result

__all__ = ["Catalog", "JOB_KINDS", "Problem", "RunFolder", "RunFolderSink", "check", "execute", "execute_study",
           "load_result", "open_run", "rebuild_job", "resume"]
