"""immunomet: IL-6, dendritic cells, CD8 T cells and PD-L1 in colorectal liver metastasis.

    >>> import immunomet as im
    >>> model = im.load_model()
    >>> result = im.simulate(model, im.Protocol("il6-ko", [im.Treatment.parse("anti-pdl1:200ug@d7,d10")]))
    >>> print(result)
"""
__version__ = "0.1.0"

from .errors import DataError, ImmunometError, SolverError, SpecError, UnitError, UnknownNameError  # noqa: E402
from .models import load_model  # noqa: E402
from .simulate import SimulationResult, SolverOptions, simulate, simulate_cohort  # noqa: E402
from .spec import Injection, Model, Protocol, Treatment  # noqa: E402
from .studies import (StudyResult, TrialResult, load_builtin, load_builtin_trial, load_study_file,  # noqa: E402
                      load_trial_file, plan_study, plan_trial, run_study, run_trial)

__all__ = [
    "DataError", "ImmunometError", "Injection", "Model", "Protocol", "SimulationResult", "SolverError",
    "SolverOptions", "SpecError", "StudyResult", "Treatment", "UnitError", "UnknownNameError", "load_builtin",
    "load_model", "load_study_file", "plan_study", "run_study", "simulate", "simulate_cohort",
    "TrialResult", "load_builtin_trial", "load_trial_file", "plan_trial", "run_trial",
]
