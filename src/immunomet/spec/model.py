"""Model = compartments + species + rules + processes + parameters + agents + genotypes.

A model is immutable data. ``compile()`` checks every unit (raising an error that names the
process or rule) and generates the numpy right-hand side used by every simulator.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Mapping

from ..errors import SpecError, UnknownNameError
from .interventions import Agent, Dose, Genotype, Protocol
from .parameters import ParameterSet, did_you_mean
from .processes import Process
from .species import Compartment, Rule, Species


@dataclass(frozen=True)
class ColonisationSpec:
    """Which species is the seeded cancer-cell population and which rules give its per-cell rates."""

    species: str
    birth_rule: str
    death_rule: str
    arrest_parameter: str  # fraction of injected cells that arrest in the liver
    visible_parameter: str  # cells in a nodule visible to the eye
    window_species: str = ""  # set to 1 at injection: the innate clearance window that then decays
    local_take_parameter: str = ""  # fraction of s.c./i.d. injected cells that found the local tumour
    site_parameter: str = ""  # set to 1 for a local (s.c./i.d.) tumour: switches the site's own rates


@dataclass(frozen=True)
class Model:
    name: str
    description: str
    compartments: tuple[Compartment, ...]
    species: tuple[Species, ...]
    rules: tuple[Rule, ...]
    processes: tuple[Process, ...]
    parameters: ParameterSet
    agents: tuple[Agent, ...] = ()
    genotypes: tuple[Genotype, ...] = ()
    colonisation: ColonisationSpec | None = None
    references: Mapping[str, str] = field(default_factory=dict)
    cell_line_properties: Mapping[str, str] = field(default_factory=dict)  # e.g. growth_rate -> r_tumour

    # ---- lookup -------------------------------------------------------------------------
    @cached_property
    def species_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.species)

    def species_by_name(self, name: str) -> Species:
        for s in self.species:
            if s.name == name:
                return s
        raise UnknownNameError(f"unknown species {name!r}{did_you_mean(name, dict.fromkeys(self.species_names))}")

    def process(self, name: str) -> Process:
        for p in self.processes:
            if p.name == name:
                return p
        raise UnknownNameError(f"unknown process {name!r}")

    def agent(self, name: str) -> Agent:
        return _by_name_or_alias(self.agents, name, "agent")

    def genotype(self, name: str) -> Genotype:
        return _by_name_or_alias(self.genotypes, name, "genotype")

    # ---- derived models ----------------------------------------------------------------------
    def with_parameters(self, changes: Mapping[str, float] | None = None, **kwargs: float) -> "Model":
        return replace(self, parameters=self.parameters.replace(changes, **kwargs))

    def with_cut(self, changes: Mapping[str, float], reason: str) -> "Model":
        """A counterfactual variant with a mechanism switched off (e.g. an effect's maximum set to 0),
        for negative controls and mechanism tests, never for defaults. Each value may leave its prior,
        which is widened to hold it; it is the same in every animal (no animal-to-animal
        variability, which would move it off the cut); its source says why."""
        unknown = sorted(set(changes) - set(self.parameters))
        if unknown:
            raise UnknownNameError(f"cut ({reason}): the model has no parameter {', '.join(unknown)}")
        edited = []
        for name, p in self.parameters.items():
            if name in changes:
                value = float(changes[name])
                p = replace(p, value=value, varies=False, prior=(min(p.prior[0], value), max(p.prior[1], value)),
                            source=f"{p.source}; cut ({reason})")
            edited.append(p)
        return replace(self, parameters=ParameterSet(edited))

    def with_parameter_set(self, parameters: ParameterSet) -> "Model":
        return replace(self, parameters=parameters)

    # ---- identity -------------------------------------------------------------------------------
    def structure_dict(self, with_values: bool = True) -> dict:
        params = [[n, p.unit] + ([p.value] if with_values else []) for n, p in self.parameters.items()]
        return {
            **({"name": self.name} if with_values else {}),  # models differing in name share compiled code
            "species": [[s.name, s.compartment, s.unit, s.initial] for s in self.species],
            "rules": [[r.name, r.expression, r.unit] for r in self.rules],
            "processes": [[p.name, p.rate, sorted(p.changes.items())] for p in self.processes],
            "parameters": params,
            "agents": [[a.name, sorted(a.routes.items())] for a in self.agents],
            "genotypes": [[g.name, sorted(g.edits.items())] for g in self.genotypes],
        }

    @cached_property
    def hash(self) -> str:
        """A short content hash of structure and parameter values (provenance)."""
        return _digest(self.structure_dict())

    @cached_property
    def structure_hash(self) -> str:
        """Hash of everything but parameter values: models sharing it share compiled code."""
        return _digest(self.structure_dict(with_values=False))

    # ---- building ---------------------------------------------------------------------------
    def compile(self):
        """Check units and generate the right-hand side; cached per model object."""
        return _compiled(self)

    def resolve(self, protocol: Protocol) -> tuple[ParameterSet, list[Dose]]:
        """Turn a protocol into this animal's parameters (genotype and site edits) and bolus doses."""
        params = self.parameters.replace(self.protocol_edits(protocol))
        share = params.value(self.injection_share_parameter(protocol.injection)) if self.colonisation else 0.0
        return params, self.doses(protocol, share)

    def protocol_edits(self, protocol: Protocol) -> dict[str, float]:
        """Parameter values a protocol sets: its genotype's edits, and the tumour site's switch."""
        edits = dict(self.genotype(protocol.genotype).edits)
        col = self.colonisation
        if col is not None and col.site_parameter:
            edits[col.site_parameter] = 1.0 if protocol.injection.local else 0.0
        return edits

    def injection_share_parameter(self, injection) -> str:
        """The parameter giving the share of injected cells that seed the tumour: arrest in the
        liver (intrasplenic) or take at the injection site (s.c./i.d.)."""
        col = self.colonisation
        if col is None:
            raise SpecError(f"model {self.name!r} has no cancer-cell colonisation")
        if injection.local and not col.local_take_parameter:
            raise SpecError(f"injection route {injection.route!r}: this model has no local tumour; use intrasplenic")
        return col.local_take_parameter if injection.local else col.arrest_parameter

    def doses(self, protocol: Protocol, share: float) -> list[Dose]:
        """The protocol's bolus doses in day order: the injected cells (``share`` of them seed the
        tumour, see ``injection_share_parameter``) and every treatment dose."""
        doses: list[Dose] = []
        col = self.colonisation
        if col is not None:
            self.injection_share_parameter(protocol.injection)  # a local tumour needs a take parameter
            doses += _injection_doses(col, protocol.injection, share)
        for t in protocol.treatments:
            agent = self.agent(t.agent)
            if t.route not in agent.routes:
                raise SpecError(
                    f"treatment {t.agent}: route {t.route!r} not available; use {', '.join(agent.routes)}"
                )
            for day in t.days:
                doses.append(Dose(day, agent.routes[t.route], t.amount, agent.name))
        return sorted(doses, key=lambda d: d.day)


INJECTED_CELLS = "cancer cells"  # the label of the dose of injected cells that seed the tumour


def _injection_doses(col: ColonisationSpec, injection, share: float) -> list[Dose]:
    doses = [Dose(injection.day, col.species, injection.cells * share, INJECTED_CELLS)]
    if col.window_species:  # the site's innate clearance window opens (its rate depends on the site)
        doses.append(Dose(injection.day, col.window_species, 1.0, "seeding window"))
    return doses


def _by_name_or_alias(items, name: str, kind: str):
    key = name.lower()
    for item in items:
        if key == item.name or key in item.aliases:
            return item
    known = ", ".join(item.name for item in items)
    raise UnknownNameError(f"unknown {kind} {name!r}; known {kind}s: {known}")


def _digest(obj: object) -> str:
    blob = json.dumps(obj, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


_COMPILED: dict[str, object] = {}


def _compiled(model: Model):
    from .compile import CompiledModel

    hit = _COMPILED.get(model.structure_hash)
    if hit is None:
        hit = _COMPILED[model.structure_hash] = CompiledModel(model)
    return hit
