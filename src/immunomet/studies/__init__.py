"""Studies: experiment specs (YAML, validated), plans, built-in studies, the chunked runner."""
from .builtin import builtin_studies, load_builtin, load_study_file
from .execute import run_study
from .plan import ArmPlan, StudyPlan, plan_study
from .result import StudyResult
from .spec import StudySpec, parse_study

__all__ = ["ArmPlan", "StudyPlan", "StudyResult", "StudySpec", "builtin_studies", "load_builtin",
           "load_study_file", "parse_study", "plan_study", "run_study"]
