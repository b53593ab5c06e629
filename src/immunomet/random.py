"""Seeds: one independent stream per virtual animal, never global seeding.

A study seed becomes a ``SeedSequence``; animal ``i`` gets ``SeedSequence(seed).spawn(n)[i]``,
equivalently ``SeedSequence(seed, spawn_key=(i,))``, so an animal's numbers do not depend on
how animals are chunked or distributed.

``seed_sequences`` makes the streams of many animals at once: numpy's ``SeedSequence`` hash run
over all of them as array arithmetic, so a block of animals costs microseconds, not a Python
``SeedSequence`` each. Each stream gives bit for bit the numbers its ``SeedSequence`` gives
(``tests/unit/test_random_streams.py``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.random.bit_generator import ISeedSequence, ISpawnableSeedSequence

# numpy's SeedSequence constants (O'Neill's seed_seq hash; numpy/random/bit_generator.pyx)
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R, _XSHIFT, _POOL = 0xCA01F9DD, 0x4973F715, 16, 4
_WORD = 0xFFFFFFFF


def animal_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed sequence of animal ``index`` in a run seeded with ``seed``."""
    return np.random.SeedSequence(seed, spawn_key=(int(index),))


def animal_rng(seed: int | ISeedSequence) -> np.random.Generator:
    """A generator for one animal from an int seed or its SeedSequence (or a ``SeededStream``)."""
    if isinstance(seed, ISeedSequence):  # a SeedSequence or a SeededStream
        return np.random.Generator(np.random.PCG64(seed))
    return np.random.default_rng(np.random.SeedSequence(int(seed)))


def child_stream(seed: int | np.random.SeedSequence, k: int) -> np.random.SeedSequence:
    """The ``k``-th child of a stream, derived without drawing from it (``SeedSequence.spawn``'s
    keys, made directly), for a draw that must not shift the stream's other draws."""
    if isinstance(seed, (np.random.SeedSequence, SeededStream)):
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, int(k)))
    return np.random.SeedSequence(int(seed), spawn_key=(int(k),))


class SeededStream(ISpawnableSeedSequence):
    """``SeedSequence(entropy, spawn_key=spawn_key)`` with the state a PCG64 generator is seeded
    from already computed (by ``seed_sequences``); anything else it is asked for comes from the
    real ``SeedSequence``, made when first needed."""

    __slots__ = ("entropy", "spawn_key", "_state", "_full", "_spawned")

    def __init__(self, entropy: int, spawn_key: tuple[int, ...], state: np.ndarray, spawned: int = 0):
        self.entropy, self.spawn_key, self._state, self._full, self._spawned = entropy, spawn_key, state, None, spawned

    @property
    def full(self) -> np.random.SeedSequence:
        if self._full is None:
            self._full = np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key,
                                                n_children_spawned=self._spawned)
        return self._full

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words == 4 and np.dtype(dtype) == np.uint64:  # what PCG64 asks for
            return self._state.copy()
        return self.full.generate_state(n_words, dtype)

    def spawn(self, n_children: int) -> list[np.random.SeedSequence]:
        return self.full.spawn(n_children)

    @property
    def pool_size(self) -> int:
        return self.full.pool_size

    @property
    def n_children_spawned(self) -> int:
        return self.full.n_children_spawned if self._full is not None else self._spawned

    def __reduce__(self):
        return SeededStream, (self.entropy, self.spawn_key, self._state, self.n_children_spawned)

    def __eq__(self, other) -> bool:
        """The same stream: the same entropy and spawn key (numpy's SeedSequence compares by identity,
        so a SeededStream equals only SeededStreams)."""
        return isinstance(other, SeededStream) and (self.entropy, self.spawn_key) == (other.entropy, other.spawn_key)

    def __hash__(self) -> int:
        return hash((self.entropy, tuple(self.spawn_key)))

    def __repr__(self) -> str:
        return f"SeededStream(entropy={self.entropy}, spawn_key={self.spawn_key})"


def seed_sequences(entropy: int, spawn_keys) -> list[SeededStream] | list[np.random.SeedSequence]:
    """``[SeedSequence(entropy, spawn_key=tuple(row)) for row in spawn_keys]`` (rows of equal
    length), hashed all at once. Keys or an entropy outside numpy's one-word-per-number fast case
    (negative, or a key of 2**32 or more) get real ``SeedSequence`` objects."""
    entropy = int(entropy)
    if len(spawn_keys) == 0:
        return []
    try:
        keys = np.asarray(spawn_keys)
    except ValueError:  # rows of different lengths
        keys = None
    fast = keys is not None and keys.ndim == 2 and keys.dtype.kind in "iu" and entropy >= 0
    if not fast or (keys.size and (keys.min() < 0 or keys.max() > _WORD)):
        # numpy's own SeedSequence: keys beyond one word, other lengths or types (it raises on bad ones)
        return [np.random.SeedSequence(entropy, spawn_key=tuple(row)) for row in spawn_keys]
    keys = keys.astype(np.int64)
    rows = list(map(tuple, keys.tolist())) if keys.size else [()] * len(keys)
    states = seed_states(entropy, keys.astype(np.uint32))
    return [SeededStream(entropy, row, state) for row, state in zip(rows, states)]


def child_sequences(streams: Sequence, k: int) -> list:
    """``child_stream(s, k)`` for every stream of one entropy and one key length, made at once."""
    if not streams:
        return []
    entropy = streams[0].entropy
    if any(s.entropy != entropy or len(s.spawn_key) != len(streams[0].spawn_key) for s in streams):
        return [child_stream(s, k) for s in streams]
    return seed_sequences(entropy, [(*s.spawn_key, int(k)) for s in streams])


def seed_states(entropy: int, keys: np.ndarray) -> np.ndarray:
    """(rows, 4) uint64: ``SeedSequence(entropy, spawn_key=row).generate_state(4, np.uint64)`` for
    every row of ``keys`` (rows, length; uint32 words): numpy's mixing, on columns of words."""
    n = keys.shape[0]
    words = _int_words(entropy)
    if keys.shape[1] and len(words) < _POOL:
        words += [0] * (_POOL - len(words))
    columns = [np.full(n, w, dtype=np.uint32) for w in words]
    columns += [keys[:, j].astype(np.uint32) for j in range(keys.shape[1])]
    pool = _mix_entropy(columns, n)
    out = np.empty((n, 8), dtype=np.uint32)
    const = _INIT_B
    for j in range(8):
        value = pool[j % _POOL] ^ np.uint32(const)
        const = (const * _MULT_B) & _WORD
        value = value * np.uint32(const)
        out[:, j] = value ^ (value >> np.uint32(_XSHIFT))
    return out.astype("<u4").view("<u8").astype(np.uint64)


def _mix_entropy(columns: list[np.ndarray], n: int) -> list[np.ndarray]:
    const = [_INIT_A]

    def hashmix(value: np.ndarray) -> np.ndarray:
        value = value ^ np.uint32(const[0])
        const[0] = (const[0] * _MULT_A) & _WORD
        value = value * np.uint32(const[0])
        return value ^ (value >> np.uint32(_XSHIFT))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
        return result ^ (result >> np.uint32(_XSHIFT))

    zero = np.zeros(n, dtype=np.uint32)
    pool = [hashmix(columns[i] if i < len(columns) else zero) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for src in range(_POOL, len(columns)):
        for dst in range(_POOL):
            pool[dst] = mix(pool[dst], hashmix(columns[src]))
    return pool


def _int_words(value: int) -> list[int]:
    """numpy's coercion of a non-negative int to little-endian 32-bit words ([0] for 0)."""
    if value == 0:
        return [0]
    words = []
    while value > 0:
        words.append(value & _WORD)
        value >>= 32
    return words

