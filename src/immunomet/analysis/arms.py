"""Find a study's arm by what was done to it: genotype, agents given (isotype controls count as
none) and part. Checks written against the published study then work on any run holding such arms."""
from __future__ import annotations

from dataclasses import dataclass, field

CONTROL_AGENTS = frozenset({"isotype"})


@dataclass(frozen=True)
class ArmKey:
    genotype: str
    agents: frozenset = field(default_factory=frozenset)
    part: str = "colonisation"

    def __str__(self) -> str:
        agents = " + ".join(sorted(self.agents)) or "control"
        return f"{self.genotype} {agents} ({self.part})"


def arm_key(model, arm) -> ArmKey:
    """The key of a planned arm (``studies.plan.ArmPlan``)."""
    genotype = model.genotype(arm.protocol.genotype).name
    agents = frozenset(model.agent(t.agent).name for t in arm.protocol.treatments) - CONTROL_AGENTS
    return ArmKey(genotype, agents, arm.part)


def find_arm(plan, key: ArmKey) -> str | None:
    """Name of the first arm of ``plan`` matching ``key``, or None. An arm of the key's own part
    comes first; a key for a readout part (anything but survival) also matches a same-treated
    arm of another part that is read on some day, so a user's study with other part names works."""
    keys = [(arm, arm_key(plan.model, arm)) for arm in plan.arms]
    for arm, k in keys:
        if k == key:
            return arm.name
    if key.part != "survival":
        for arm, k in keys:
            if (k.genotype, k.agents) == (key.genotype, key.agents) and arm.readout_days and k.part != "survival":
                return arm.name
    return None
