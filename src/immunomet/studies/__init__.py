"""Studies: experiment specs (YAML, validated), plans, built-in studies, the chunked runner; virtual trials."""
from .builtin import builtin_studies, builtin_trials, load_builtin, load_builtin_trial, load_study_file, load_trial_file
from .execute import run_study
from .job import StudyJob
from .plan import ArmPlan, StudyPlan, plan_study
from .result import StudyResult
from .spec import StudySpec, parse_study
from .trial import TrialJob, TrialPlan, TrialResult, plan_trial, run_trial
from .trial_spec import TrialSpec, parse_trial

__all__ = ["ArmPlan", "StudyJob", "StudyPlan", "StudyResult", "StudySpec", "TrialJob", "TrialPlan", "TrialResult", "TrialSpec",
           "builtin_studies", "builtin_trials", "load_builtin", "load_builtin_trial", "load_study_file",
           "load_trial_file", "parse_study", "parse_trial", "plan_study", "plan_trial", "run_study", "run_trial"]
