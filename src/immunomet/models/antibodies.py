"""Dosed agents: two-compartment antibody PK with an intraperitoneal depot, and an adjuvant.

Each antibody gets three species (peritoneal depot, plasma, peripheral tissue), five processes
and a rule for its liver interstitial concentration. They are generated from one table so
every antibody follows the same equations; only its parameters differ.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..spec import Agent, Process, Rule, Species


@dataclass(frozen=True)
class AntibodyDef:
    key: str  # short identifier used in species/parameter names
    agent: str  # user-facing name
    target: str
    description: str
    aliases: tuple[str, ...] = ()
    blocks: str = ""  # what binding does, for its occupancy rule; empty: no target (isotype)


ANTIBODIES = (
    AntibodyDef("acd8", "anti-cd8", "CD8", "depleting anti-CD8 (e.g. clone 2.43 / YTS169)", ("acd8", "anti-cd8a"), "anti-CD8 bound to CD8 T cells"),
    AntibodyDef("aifnar", "anti-ifnar1", "IFNAR1", "anti-IFNAR1 (e.g. MAR1-5A3)", ("aifnar1", "anti-ifnar"), "IFNAR1 blocked"),
    AntibodyDef("ail12", "anti-il12", "IL-12", "anti-IL-12 p40 (e.g. C17.8)", ("ail12", "anti-il-12"), "IL-12 neutralised"),
    AntibodyDef("apdl1", "anti-pdl1", "PD-L1", "anti-PD-L1 (e.g. 10F.9G2)", ("apdl1", "anti-pd-l1"), "PD-L1 blocked"),
    AntibodyDef("ail6r", "anti-il6r", "IL-6R", "anti-IL-6 receptor (e.g. MR16-1)", ("ail6r", "anti-il-6r"), "IL-6R blocked"),
    AntibodyDef("ail6", "anti-il6", "IL-6", "neutralising anti-IL-6 (e.g. MP5-20F3)", ("ail6", "anti-il-6"), "IL-6 neutralised"),
    AntibodyDef("aifng", "anti-ifng", "IFN-gamma", "neutralising anti-IFN-gamma (e.g. XMG1.2)",
                ("aifng", "anti-ifn-gamma", "anti-ifngamma"), "IFN-gamma neutralised"),
    AntibodyDef("iso", "isotype", "none", "isotype control IgG (PK only, no target)", ("isotype-control", "igg")),
)


def antibody_parts(ab: AntibodyDef) -> tuple[list[Species], list[Rule], list[Process], Agent]:
    k = ab.key
    dep, cen, per = f"{k}_ip", f"{k}_plasma", f"{k}_periph"
    species = [
        Species(dep, "peritoneum", "ug", 0.0, "drug", f"{ab.agent} in the peritoneal depot"),
        Species(cen, "plasma", "ug", 0.0, "drug", f"{ab.agent} in plasma"),
        Species(per, "peripheral", "ug", 0.0, "drug", f"{ab.agent} in peripheral tissue"),
    ]
    rules = [
        Rule(f"{k}_conc_plasma", f"{cen} / V_plasma", "ug/mL", f"{ab.agent} plasma concentration"),
        Rule(f"{k}_conc_tissue", f"abc_liver * {k}_conc_plasma / mw_igg", "nM",
             f"{ab.agent} interstitial concentration in liver and lymph node"),
    ]
    processes = [
        Process(f"{k}_absorption", f"ka_ip * F_ip * {dep}", {dep: -1, cen: 1},
                f"{ab.agent}: absorption from the peritoneum"),
        Process(f"{k}_presystemic_loss", f"ka_ip * (1 - F_ip) * {dep}", {dep: -1},
                f"{ab.agent}: i.p. dose not reaching plasma"),
        Process(f"{k}_clearance", f"CL_{k} * body_weight / V_plasma * {cen}", {cen: -1},
                f"{ab.agent}: linear clearance from plasma"),
        Process(f"{k}_distribution", f"Q_igg * body_weight / V_plasma * {cen}", {cen: -1, per: 1},
                f"{ab.agent}: plasma to peripheral tissue"),
        Process(f"{k}_redistribution", f"Q_igg * body_weight / V_periph * {per}", {per: -1, cen: 1},
                f"{ab.agent}: peripheral tissue back to plasma"),
    ]
    if ab.blocks:  # fraction of target bound in the liver: C / (C + Kd)
        rules.append(Rule(f"occ_{k}", f"occupancy({k}_conc_tissue, Kd_{k})", "1", ab.blocks))
    agent = Agent(ab.agent, "antibody", ab.target, {"ip": dep, "iv": cen}, "ug", ab.description, ab.aliases,
                  f"{k}_conc_plasma")
    return species, rules, processes, agent


def adjuvant_parts() -> tuple[list[Species], list[Rule], list[Process], Agent]:
    """A poly(I:C)-like TLR3 agonist: i.p. depot, plasma, fast elimination."""
    species = [
        Species("pic_ip", "peritoneum", "ug", 0.0, "drug", "poly(I:C) in the peritoneal depot"),
        Species("pic_plasma", "plasma", "ug", 0.0, "drug", "poly(I:C) in plasma"),
    ]
    rules = [Rule("pic_signal", "hill(pic_plasma / V_plasma, EC50_pic, 1)", "1",
                  "TLR3 signal from poly(I:C) (0-1)")]
    processes = [
        Process("pic_absorption", "ka_pic * pic_ip", {"pic_ip": -1, "pic_plasma": 1},
                "poly(I:C): absorption from the peritoneum"),
        Process("pic_elimination", "k_pic * pic_plasma", {"pic_plasma": -1},
                "poly(I:C): degradation and elimination"),
    ]
    agent = Agent("poly-ic", "adjuvant", "TLR3", {"ip": "pic_ip", "iv": "pic_plasma"}, "ug",
                  "poly(I:C)-like adjuvant: induces type I IFN, DC maturation and IL-6",
                  ("polyic", "poly(i:c)", "adjuvant"))
    return species, rules, processes, agent
