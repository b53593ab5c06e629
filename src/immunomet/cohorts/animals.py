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

from ..random import seed_sequences


def arm_key(arm_name: str) -> int:
    return zlib.crc32(arm_name.encode("utf-8"))


@dataclass(frozen=True)
class AnimalSeeds:
    """The streams of one animal (``SeedSequence``s, or ``random.SeededStream``s: the same streams)."""

    seed: int
    spawn_key: tuple[int, ...]
    parameters: np.random.SeedSequence
    colonisation: np.random.SeedSequence
    measurement: np.random.SeedSequence

    @property
    def root(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=self.spawn_key)


def animal_seeds(seed: int, arm_name: str, index: int) -> AnimalSeeds:
    key = (arm_key(arm_name), int(index))
    # the root's three spawned children, made directly (SeedSequence.spawn gives them these keys)
    parameters, colonisation, measurement = (np.random.SeedSequence(int(seed), spawn_key=key + (k,)) for k in range(3))
    return AnimalSeeds(int(seed), key, parameters, colonisation, measurement)


def animal_seeds_many(seed: int, arm_name: str, indices) -> list[AnimalSeeds]:
    """``[animal_seeds(seed, arm_name, i) for i in indices]``, hashed all at once."""
    key = arm_key(arm_name)
    indices = np.asarray(list(indices), dtype=np.int64)
    keys = np.column_stack([np.full(len(indices), key), indices, np.zeros(len(indices), dtype=np.int64)])
    streams = []
    for k in range(3):
        keys[:, 2] = k
        streams.append(seed_sequences(seed, keys))
    return [AnimalSeeds(int(seed), (key, i), *three) for i, three in zip(indices.tolist(), zip(*streams))]
