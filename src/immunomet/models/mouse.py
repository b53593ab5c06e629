"""The default mouse model: IL-6 keeps DCs immature, CD8 effectors stay weak, CT26 colonises the liver.

Every step of BIOLOGY.md's mechanism is a process below; parameter values, units, priors and
sources are in ``data/mouse_parameters.yaml``. Time is in days.
"""
from __future__ import annotations

from functools import lru_cache

from ..spec import ColonisationSpec, Compartment, Genotype, Model, Process, Rule, Species
from .antibodies import ANTIBODIES, adjuvant_parts, antibody_parts
from .parameter_table import load_parameter_table

COMPARTMENTS = (
    Compartment("liver", "liver metastatic foci (tumour microenvironment)"),
    Compartment("lymph_node", "tumour-draining (portal/hepatic) lymph node"),
    Compartment("plasma", "blood plasma (serum readouts, antibody central compartment)"),
    Compartment("peripheral", "peripheral tissue for antibody distribution"),
    Compartment("peritoneum", "intraperitoneal injection depot"),
)

SPECIES = (
    Species("cancer_cells", "liver", "cell", 0.0, "cell", "CT26 cells in the liver (mean field)"),
    Species("seeding_window", "liver", "1", 0.0, "state",
            "set to 1 at injection; innate (Kupffer/NK) clearance of newly arrested cells decays with it"),
    Species("dc_immature", "liver", "cell", "dc_immature_0", "cell", "immature CD11c+ DCs in the foci"),
    Species("dc_mature", "liver", "cell", 0.0, "cell", "mature (MHC-II high) DCs in the foci"),
    Species("dc_lymph_node", "lymph_node", "cell", 0.0, "cell", "mature antigen-bearing DCs in the lymph node"),
    Species("cd8_naive", "lymph_node", "cell", "cd8_naive_0", "cell", "tumour-specific naive CD8 precursors"),
    Species("cd8_primed", "lymph_node", "cell", 0.0, "cell", "primed, proliferating tumour-specific CD8"),
    Species("cd8_effector", "liver", "cell", 0.0, "cell", "perforin+ granzyme B+ effector CD8 in the foci"),
    Species("cd8_exhausted", "liver", "cell", 0.0, "cell", "PD-1-suppressed (exhausted) CD8 in the foci"),
    Species("cd8_memory", "liver", "cell", 0.0, "cell", "effector-memory CD8 in the liver"),
    Species("cd8_bystander", "liver", "cell", "cd8_bystander_0", "cell", "non-tumour-specific CD8 in the liver"),
    Species("pdl1", "liver", "1", "pdl1_base", "state", "PD-L1 on cancer cells, relative to the line's baseline"),
    Species("mhc1", "liver", "1", "mhc1_base", "state", "MHC class I on cancer cells, relative"),
    Species("il6", "plasma", "pg/mL", 0.0, "cytokine", "IL-6 (serum)"),
    Species("il12", "lymph_node", "pg/mL", 0.0, "cytokine", "IL-12p70 in the lymph node"),
    Species("ifn", "liver", "pg/mL", 0.0, "cytokine", "type I IFN (IFN-alpha/beta) in the foci"),
    Species("ifng", "liver", "pg/mL", 0.0, "cytokine", "IFN-gamma in the foci, made by effector CD8 that engage"
            " cancer cells"),
)


def _at_site(name: str, liver: str, local: str, unit: str, description: str) -> Rule:
    """A rule switched by the tumour's site: the liver value, or the local one where site_local = 1."""
    return Rule(name, f"{liver} + site_local * ({local} - {liver})", unit, description)


RULES = (
    Rule("V_plasma", "vplasma_per_kg * body_weight", "mL", "plasma volume"),
    Rule("V_periph", "vperiph_per_kg * body_weight", "mL", "peripheral antibody volume"),
    # signals (0-1)
    Rule("il6_tme", "il6 + p_il6_tumour * tumour_cell_density / k_il6_tme", "pg/mL",
         "IL-6 where DCs take up tumour antigen: serum IL-6 plus the cancer cells' own IL-6 in the"
         " tissue around them (secretion per volume of tumour / local removal)"),
    Rule("il6_signal", "hill(il6_tme * (1 - occ_ail6), EC50_il6, 1) * (1 - occ_ail6r)", "1",
         "IL-6/STAT3 signal in DCs: free IL-6 on unblocked IL-6R, graded over the physiological range"),
    Rule("tumour_il6_signal", "hill(il6_tme * (1 - occ_ail6), EC50_il6_tumour, 1) * (1 - occ_ail6r)", "1",
         "IL-6/JAK/STAT3 signal in the cancer cells themselves (their own IL-6 and the host's)"),
    Rule("ifn_signal", "hill(ifn, EC50_ifn, 1) * (1 - occ_aifnar)", "1", "type I IFN signal through IFNAR1"),
    Rule("ifng_signal", "hill(ifng * (1 - occ_aifng), EC50_ifng, 1)", "1",
         "IFN-gamma signal on the cancer cells (free IFN-gamma)"),
    Rule("effector_engagement", "cancer_cells / (cancer_cells + K_encounter)", "1",
         "share of effector CD8 engaging cancer cells (they must find them first)"),
    Rule("il12_signal", "hill(il12 * (1 - occ_ail12), EC50_il12, 1)", "1", "IL-12 signal 3 on primed CD8"),
    Rule("antigen_signal", "hill(tumour_death_per_cell * cancer_cells, K_antigen, 1)", "1",
         "antigen and danger from dying cancer cells"),
    Rule("dc_stimulation", "hill(dc_lymph_node, K_dc_priming, 1)", "1", "antigen presentation in the lymph node"),
    Rule("signal3", "s3_floor + (1 - s3_floor) * il12_signal", "1", "third signal for CD8 expansion"),
    Rule("pd1_suppression", "hill(pdl1 * (1 - occ_apdl1), K_pd1, n_pd1)", "1",
         "PD-1/PD-L1 suppression of effector CD8 (0-1)"),
    Rule("dc_cytokine_capacity", "1 - imax_il6_cytokine * il6_signal", "1",
         "IL-12 / IFN-alpha/beta output per mature DC relative to an IL-6-free DC"),
    Rule("maturation_rate", "k_maturation * antigen_signal * (1 + emax_ifn_maturation * ifn_signal"
         " + emax_pic_maturation * pic_signal) * (1 - imax_il6_maturation * il6_signal)", "1/day",
         "DC maturation rate per immature DC"),
    # occupancies
    Rule("cd8_depletion_rate", "k_depletion * occ_acd8", "1/day", "extra death of CD8 T cells from anti-CD8"),
    # the tumour site: the liver (intrasplenic injection) or a local s.c./i.d. tumour (site_local = 1)
    Rule("r_site", "r_tumour * (1 + site_local * (growth_local_factor - 1))", "1/day",
         "division rate at the tumour's site (the line's rate in liver micrometastases, scaled at a local site)"),
    _at_site("K_site", "K_tumour", "K_local", "cell", "carrying capacity of the tumour's site"),
    _at_site("k_innate_site", "k_innate", "k_innate_local", "1/day",
             "innate clearance of newly seeded cells at the site (Kupffer/NK in the liver, NK in the skin)"),
    _at_site("f_home", "f_home_liver", "f_home_local", "1", "share of new effectors that reaches the tumour's site"),
    # tumour per-cell rates (used by the colonisation engine)
    Rule("tumour_birth_per_cell", "r_site * (1 + emax_il6_growth * tumour_il6_signal)", "1/day",
         "division rate of a cancer cell (IL-6/STAT3 speeds it a little)"),
    Rule("crowding_death_per_cell", "r_site * cancer_cells / K_site", "1/day",
         "extra death as the site fills (makes net growth logistic)"),
    Rule("cd8_kill_per_cell", "kill_max * ratio_kill ** l_kill / (s_kill + ratio_kill ** l_kill)", "1/day",
         "death rate of a cancer cell from CD8 killing (de Pillis ratio-dependent form)"),
    Rule("ratio_kill", "cd8_effector * mhc1 * (1 - pd1_suppression) / (cancer_cells + K_encounter)", "1",
         "functional effectors per cancer cell (MHC-I scaled, PD-1 suppressed); with few cancer cells the"
         " effectors must first find them, so the ratio stops rising below K_encounter"),
    Rule("innate_kill_per_cell", "k_innate_site * seeding_window", "1/day", "innate clearance of newly seeded cells"),
    Rule("tumour_death_per_cell", "d_tumour + crowding_death_per_cell + innate_kill_per_cell + cd8_kill_per_cell",
         "1/day",
         "total death rate of a cancer cell"),
    # readout helpers
    Rule("cd8_total", "cd8_naive + cd8_primed + cd8_effector + cd8_exhausted + cd8_memory + cd8_bystander",
         "cell", "all CD8 T cells modelled"),
    Rule("tumour_burden", "cancer_cells", "cell", "cancer cells in the liver"),
)

# What the lab measures, as rules on the state (fractions; readouts report them as %).
READOUT_RULES = (
    Rule("liver_weight", "liver_weight_base + cancer_cells * tumour_cell_mass", "g", "liver weight with tumour"),
    Rule("tumour_area_fraction", "cancer_cells * tumour_cell_mass / liver_weight", "1",
         "tumour share of a liver section's area (Delesse: area fraction = volume fraction)"),
    Rule("tumour_volume", "cancer_cells / tumour_cell_density", "uL", "volume of a local (s.c./i.d.) tumour, mm3"),
    Rule("cd8_foci", "cd8_effector + cd8_exhausted + cd8_memory + foci_resident_fraction * cd8_bystander", "cell",
         "CD8 T cells in the dissected foci"),
    Rule("cd45_foci", "cd8_foci + dc_immature + dc_mature + cd45_other_foci", "cell", "CD45+ cells in the foci"),
    Rule("cd8_of_cd45", "cd8_foci / cd45_foci", "1", "CD8+ share of CD45+ cells in the foci"),
    Rule("dc_of_cd45", "(dc_immature + dc_mature) / cd45_foci", "1", "CD11c+ share of CD45+ cells in the foci"),
    Rule("perforin_of_cd8", "(cd8_effector + f_cytotoxic_resident * foci_resident_fraction * cd8_bystander)"
         " / cd8_foci", "1", "perforin+ share of CD8 in the foci"),
    Rule("gzmb_of_cd8", "(cd8_effector + f_gzmb_exhausted * cd8_exhausted + f_cytotoxic_resident"
         " * foci_resident_fraction * cd8_bystander) / cd8_foci", "1", "granzyme B+ share of CD8 in the foci"),
    Rule("em_of_cd8", "cd8_memory / cd8_foci", "1", "effector-memory (CD44+ CD62L-) share of CD8 in the foci"),
    Rule("mhc2hi_of_dc", "dc_mature / (dc_immature + dc_mature)", "1", "MHC-II-high share of CD11c+ cells"),
    Rule("il12_of_dc", "f_dc_il12_positive * mhc2hi_of_dc * dc_cytokine_capacity", "1",
         "IL-12+ share of CD11c+ cells (fewer under IL-6)"),
    Rule("ifn_of_dc", "f_dc_ifn_positive * mhc2hi_of_dc * dc_cytokine_capacity", "1",
         "IFN-alpha/beta+ share of CD11c+ cells (fewer under IL-6)"),
)

_DC_CYTOKINE = "dc_cytokine_capacity"

PROCESSES = (
    # --- cancer cells in the liver ---
    Process("tumour_proliferation", "tumour_birth_per_cell * cancer_cells", {"cancer_cells": 1},
            "cancer cells divide"),
    Process("tumour_basal_death", "d_tumour * cancer_cells", {"cancer_cells": -1}, "spontaneous death"),
    Process("tumour_crowding_death", "crowding_death_per_cell * cancer_cells", {"cancer_cells": -1},
            "death from crowding: net growth r(1 - N/K) - d, logistic"),
    Process("innate_clearance", "innate_kill_per_cell * cancer_cells", {"cancer_cells": -1},
            "Kupffer/NK clearance of newly arrested cells"),
    Process("cd8_killing", "cd8_kill_per_cell * cancer_cells", {"cancer_cells": -1},
            "perforin/granzyme B killing by effector CD8, scaled by MHC-I"),
    Process("seeding_window_close", "k_window * seeding_window", {"seeding_window": -1},
            "arrested cells extravasate; innate clearance window closes"),
    # --- IL-6 ---
    Process("il6_tumour_secretion", "p_il6_tumour * cancer_cells / V_plasma", {"il6": 1},
            "IL-6 from the cancer cells themselves (kept in Il6-/- hosts)"),
    Process("il6_host_secretion",
            "host_il6 * (p_il6_basal + p_il6_host_tumour * hill(cancer_cells, K_il6_tumour, 1)"
            " + p_il6_pic * pic_signal) / V_plasma", {"il6": 1},
            "IL-6 from host macrophages/Kupffer cells, stroma and DCs; zero in Il6-/-"),
    Process("il6_clearance", "k_il6 * il6", {"il6": -1}, "IL-6 elimination"),
    # --- dendritic cells ---
    Process("dc_recruitment", "d_dc_immature * dc_immature_0", {"dc_immature": 1},
            "immature DCs enter the liver (balances turnover at rest)"),
    Process("dc_immature_turnover", "d_dc_immature * dc_immature", {"dc_immature": -1}, "immature DC death"),
    Process("dc_maturation", "maturation_rate * dc_immature", {"dc_immature": -1, "dc_mature": 1},
            "antigen/IFN/TLR-driven maturation, held back by IL-6 (STAT3)"),
    Process("dc_migration", "k_dc_migration * dc_mature", {"dc_mature": -1, "dc_lymph_node": 1},
            "mature DCs carry antigen to the lymph node"),
    Process("dc_mature_death", "d_dc_mature * dc_mature", {"dc_mature": -1}, "mature DC death in the liver"),
    Process("dc_lymph_node_death", "d_dc_lymph_node * dc_lymph_node", {"dc_lymph_node": -1},
            "mature DC death in the lymph node"),
    # --- cytokines from mature DCs ---
    Process("il12_secretion", f"p_il12 * dc_lymph_node * {_DC_CYTOKINE} / V_lymph_node", {"il12": 1},
            "IL-12 from mature DCs (less per DC under IL-6)"),
    Process("il12_clearance", "k_il12 * il12", {"il12": -1}, "IL-12 clearance"),
    Process("ifn_secretion_dc", f"p_ifn * dc_mature * {_DC_CYTOKINE} / V_foci", {"ifn": 1},
            "IFN-alpha/beta from mature DCs (less per DC under IL-6)"),
    Process("ifn_secretion_adjuvant", "p_ifn_pic * pic_signal / V_foci", {"ifn": 1},
            "IFN-alpha/beta induced by a TLR3 agonist"),
    Process("ifn_clearance", "k_ifn * ifn", {"ifn": -1}, "type I IFN clearance"),
    Process("ifng_secretion_cd8", "p_ifng * cd8_effector * (1 - pd1_suppression) * effector_engagement / V_foci",
            {"ifng": 1}, "IFN-gamma from effector CD8 that engage cancer cells (less when PD-1 suppressed)"),
    Process("ifng_clearance", "k_ifng * ifng", {"ifng": -1}, "IFN-gamma clearance"),
    # --- CD8 T cells ---
    Process("cd8_naive_homeostasis", "d_cd8_naive * cd8_naive_0", {"cd8_naive": 1}, "thymic output of precursors"),
    Process("cd8_naive_death", "(d_cd8_naive + cd8_depletion_rate) * cd8_naive", {"cd8_naive": -1},
            "naive death and anti-CD8 depletion"),
    Process("cd8_priming", "k_priming * dc_stimulation * cd8_naive", {"cd8_naive": -1, "cd8_primed": 1},
            "mature DCs prime tumour-specific CD8"),
    Process("cd8_expansion", "r_cd8 * dc_stimulation * signal3 * cd8_primed / (1 + cd8_primed / K_cd8_clone)",
            {"cd8_primed": 1}, "clonal expansion driven by presentation and IL-12 (signal 3); saturates as"
            " the response fills its niche in the node"),
    Process("cd8_primed_death", "(d_cd8_primed + cd8_depletion_rate) * cd8_primed", {"cd8_primed": -1},
            "loss of primed cells and anti-CD8 depletion"),
    Process("cd8_differentiation", "k_differentiation * cd8_primed", {"cd8_primed": -1},
            "primed cells leave the lymph node as effectors"),
    Process("cd8_homing", "f_home * k_differentiation * cd8_primed", {"cd8_effector": 1},
            "the share of new effectors that reaches the tumour's site"),
    Process("cd8_effector_death", "(d_cd8_effector + cd8_depletion_rate) * cd8_effector", {"cd8_effector": -1},
            "effector apoptosis and depletion"),
    Process("cd8_exhaustion", "k_exhaustion * pd1_suppression * antigen_signal * cd8_effector",
            {"cd8_effector": -1, "cd8_exhausted": 1}, "PD-1/PD-L1 engagement drives exhaustion"),
    Process("cd8_exhausted_death", "(d_cd8_exhausted + cd8_depletion_rate) * cd8_exhausted",
            {"cd8_exhausted": -1}, "exhausted cell death and depletion"),
    Process("cd8_memory_formation", "k_memory * cd8_effector", {"cd8_effector": -1, "cd8_memory": 1},
            "effectors become effector-memory cells"),
    Process("cd8_memory_recall", "k_recall * antigen_signal * (1 - pd1_suppression) * cd8_memory",
            {"cd8_memory": -1, "cd8_effector": 1}, "memory cells re-activated by antigen"),
    Process("cd8_memory_death", "(d_cd8_memory + cd8_depletion_rate) * cd8_memory", {"cd8_memory": -1},
            "memory turnover and depletion"),
    Process("cd8_bystander_homeostasis", "d_cd8_bystander * cd8_bystander_0", {"cd8_bystander": 1},
            "homeostatic replenishment of liver CD8"),
    Process("cd8_bystander_death", "(d_cd8_bystander + cd8_depletion_rate) * cd8_bystander",
            {"cd8_bystander": -1}, "turnover and anti-CD8 depletion"),
    # --- cancer-cell PD-L1 and MHC-I ---
    Process("pdl1_turnover", "k_pdl1 * (pdl1_base * (1 + emax_ifn_pdl1 * ifn_signal + emax_ifng_pdl1 * ifng_signal"
            " + emax_il6_pdl1 * tumour_il6_signal) - pdl1)", {"pdl1": 1},
            "type I IFN, IFN-gamma (adaptive resistance) and the cancer cells' own IL-6/STAT3 raise PD-L1; it"
            " relaxes to the line's baseline"),
    Process("mhc1_turnover", "k_mhc1 * (mhc1_base * (1 + emax_ifn_mhc1 * ifn_signal + emax_ifng_mhc1 * ifng_signal)"
            " - mhc1)", {"mhc1": 1}, "type I IFN and IFN-gamma raise MHC class I on cancer cells"),
)

GENOTYPES = (
    Genotype("wt", {}, "wild-type BALB/c (Il6+/+)", ("il6+/+", "wild-type", "wildtype")),
    Genotype("il6-ko", {"host_il6": 0.0}, "Il6-/- host: no host IL-6; the cancer cells still make theirs",
             ("il6-/-", "il6ko", "ko")),
)

# Properties of the injected cell line a study may override (e.g. an engineered CT26).
CELL_LINE_PROPERTIES = {
    "il6_secretion": "p_il6_tumour",
    "pdl1_baseline": "pdl1_base",
    "mhc1_baseline": "mhc1_base",
    "growth_rate": "r_tumour",
}


@lru_cache(maxsize=1)
def mouse_model() -> Model:
    """The default Il6/DC/CD8/PD-L1 liver-metastasis model of a BALB/c mouse with CT26."""
    species, rules, processes, agents = list(SPECIES), list(RULES + READOUT_RULES), list(PROCESSES), []
    for ab in ANTIBODIES:
        s, r, p, a = antibody_parts(ab)
        species += s
        rules += r
        processes += p
        agents.append(a)
    s, r, p, a = adjuvant_parts()
    species, rules, processes = species + s, rules + r, processes + p
    agents.append(a)
    return Model(
        name="toyoshima2019-mouse",
        description=__doc__.strip().splitlines()[0],
        compartments=COMPARTMENTS,
        species=tuple(species),
        rules=tuple(rules),
        processes=tuple(processes),
        parameters=load_parameter_table("mouse_parameters.yaml"),
        agents=tuple(agents),
        genotypes=GENOTYPES,
        colonisation=ColonisationSpec("cancer_cells", "tumour_birth_per_cell", "tumour_death_per_cell",
                                      "f_liver_arrest", "nodule_visible_cells", "seeding_window",
                                      local_take_parameter="f_take_local", site_parameter="site_local"),
        cell_line_properties=CELL_LINE_PROPERTIES,
    )
