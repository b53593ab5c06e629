"""Hand-made study results for tests of the statistics: given visible-nodule values per arm, a
StudyResult as a run of those arms would give (day 21, every animal a success)."""
import pandas as pd

from immunomet.studies.result import StudyResult

ANIMAL_COLUMNS = ["arm", "part", "animal", "genotype", "status", "message", "survival_day", "death", "seed_key"]


def nodule_result(values: dict, part: str = "colonisation") -> StudyResult:
    rows = [[arm, i, 21.0, float(v)] for arm, vs in values.items() for i, v in enumerate(vs)]
    animals = [[arm, part, i, "wt", "success", "", 21.0, False, ""] for arm, vs in values.items()
               for i in range(len(vs))]
    return StudyResult(pd.DataFrame(animals, columns=ANIMAL_COLUMNS),
                       pd.DataFrame(rows, columns=["arm", "animal", "day", "visible_nodules"]),
                       pd.DataFrame(), pd.DataFrame(), {"arms": list(values)})
