"""One independent random stream per virtual animal, whatever the chunking or worker count.

Animal ``i`` of arm ``a`` in a study seeded with ``seed`` gets
``SeedSequence(seed, spawn_key=(arm_key(a), i))``, where ``arm_key`` is a stable hash of the arm's
name: adding, removing or reordering arms leaves every other arm's animals unchanged. Each
animal's sequence is split into independent streams for its parameters, its colonisation draw
and its measurement noise.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


def arm_key(arm_name: str) -> int:
    return zlib.crc32(arm_name.encode("utf-8"))


@dataclass(frozen=True)
class AnimalSeeds:
    """The streams of one animal."""

    root: np.random.SeedSequence
    parameters: np.random.SeedSequence
    colonisation: np.random.SeedSequence
    measurement: np.random.SeedSequence

    @property
    def spawn_key(self) -> tuple[int, ...]:
        return tuple(self.root.spawn_key)


def animal_seeds(seed: int, arm_name: str, index: int) -> AnimalSeeds:
    root = np.random.SeedSequence(int(seed), spawn_key=(arm_key(arm_name), int(index)))
    parameters, colonisation, measurement = root.spawn(3)
    return AnimalSeeds(root, parameters, colonisation, measurement)
