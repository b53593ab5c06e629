"""Seeds: one independent stream per virtual animal, never global seeding.

A study seed becomes a ``SeedSequence``; animal ``i`` gets ``SeedSequence(seed).spawn(n)[i]``,
equivalently ``SeedSequence(seed, spawn_key=(i,))``, so an animal's numbers do not depend on
how animals are chunked or distributed.
"""
from __future__ import annotations

import numpy as np


def animal_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of animal ``index`` in a run seeded with ``seed``."""
    return np.random.SeedSequence(seed, spawn_key=(int(index),))


def animal_rng(seed: int | np.random.SeedSequence) -> np.random.Generator:
    """A generator for one animal from an int seed or its SeedSequence."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    return np.random.default_rng(np.random.SeedSequence(int(seed)))


def child_stream(seed: int | np.random.SeedSequence, k: int) -> np.random.SeedSequence:
    """The ``k``-th child of a stream, derived without drawing from it (``SeedSequence.spawn``'s
    keys, made directly), for a draw that must not shift the stream's other draws."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, int(k)))
    return np.random.SeedSequence(int(seed), spawn_key=(int(k),))
