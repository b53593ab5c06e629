"""Statistics of study runs (lifelines, scipy), power by simulation, and the findings checklist."""
from .findings import FINDINGS, check_findings, findings_table
from .groups import compare, compare_arms, holm, kruskal
from .power import Comparison, power_analysis
from .replication import Replication, replication_probability
from .survival import cox_hazard_ratio, kaplan_meier, logrank_overall, logrank_pairwise, survival_table

__all__ = ["FINDINGS", "Comparison", "check_findings", "compare", "compare_arms", "cox_hazard_ratio", "findings_table",
           "holm", "kaplan_meier", "kruskal", "logrank_overall", "logrank_pairwise", "power_analysis",
           "Replication", "replication_probability", "survival_table"]
