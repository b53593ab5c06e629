"""The model as data: parameters, species, processes, interventions, models."""
from .interventions import Agent, Dose, Genotype, Injection, Protocol, Treatment
from .model import ColonisationSpec, Model
from .parameters import Parameter, ParameterSet
from .processes import Process
from .species import Compartment, Rule, Species

__all__ = [
    "Agent", "ColonisationSpec", "Compartment", "Dose", "Genotype", "Injection", "Model",
    "Parameter", "ParameterSet", "Process", "Protocol", "Rule", "Species", "Treatment",
]
