"""Run folders (Parquet tables written chunk by chunk) and the DuckDB catalog of all runs."""
from .catalog import Catalog
from .execute import execute_study, resume_study
from .run_folder import RunFolder

__all__ = ["Catalog", "RunFolder", "execute_study", "resume_study"]
