"""Many animals' streams at once: numpy's SeedSequence hash on arrays gives the same streams.

Reference: numpy's own ``SeedSequence`` (O'Neill's seed_seq mixing; numpy/random/bit_generator.pyx):
every state word, and the numbers a generator draws from it, must be identical.
"""
import pickle

import numpy as np
import pytest

from immunomet.cohorts import animal_seeds, animal_seeds_many
from immunomet.random import SeededStream, animal_rng, child_sequences, child_stream, seed_sequences


@pytest.mark.parametrize("entropy", [0, 1, 2019, 2**32 + 5, 2**70 + 3])
@pytest.mark.parametrize("length", [0, 1, 3, 4, 6])
def test_the_state_words_are_numpys_for_any_entropy_and_key_length(entropy, length):
    keys = np.random.default_rng(length).integers(0, 2**32, size=(25, length))
    for stream, key in zip(seed_sequences(entropy, keys), keys):
        reference = np.random.SeedSequence(entropy, spawn_key=tuple(int(v) for v in key))
        assert stream.spawn_key == reference.spawn_key and stream.entropy == reference.entropy
        assert np.array_equal(stream.generate_state(4, np.uint64), reference.generate_state(4, np.uint64))
        assert np.array_equal(stream.generate_state(7), reference.generate_state(7))  # asked of the real one


def test_a_generator_draws_the_numbers_of_its_seed_sequence():
    stream = seed_sequences(7, [(3, 11, 2)])[0]
    reference = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(3, 11, 2)))
    mine = animal_rng(stream)
    assert np.array_equal(mine.standard_normal(5), reference.standard_normal(5))
    assert mine.binomial(10**5, 0.3) == reference.binomial(10**5, 0.3)


def test_keys_outside_one_word_get_real_seed_sequences_and_bad_keys_fail_as_numpy_does():
    wide = seed_sequences(3, [(2**40, 1)])[0]
    assert type(wide) is np.random.SeedSequence and wide.spawn_key == (2**40, 1)
    assert type(seed_sequences(3, [(2**70, 1)])[0]) is np.random.SeedSequence
    assert [s.spawn_key for s in seed_sequences(3, [(1,), (1, 2)])] == [(1,), (1, 2)]
    assert seed_sequences(3, []) == []
    with pytest.raises(TypeError):
        seed_sequences(3, [(1.5, 2)])


def test_a_stream_spawns_and_pickles_like_its_seed_sequence():
    stream = seed_sequences(5, [(1, 2)])[0]
    reference = np.random.SeedSequence(5, spawn_key=(1, 2))
    assert [c.spawn_key for c in stream.spawn(2)] == [c.spawn_key for c in reference.spawn(2)]
    assert stream.n_children_spawned == 2 and stream.pool_size == reference.pool_size
    again = pickle.loads(pickle.dumps(stream))
    assert isinstance(again, SeededStream) and again == stream and hash(again) == hash(stream)
    assert [c.spawn_key for c in again.spawn(1)] == [c.spawn_key for c in reference.spawn(1)]  # no child twice
    assert again != reference  # numpy's SeedSequence compares by identity; so does a stream with one


def test_many_animals_seeds_and_their_children_equal_one_at_a_time():
    many = animal_seeds_many(2019, "WT", [0, 3, 999])
    for seeds, i in zip(many, [0, 3, 999]):
        one = animal_seeds(2019, "WT", i)
        assert seeds.spawn_key == one.spawn_key and seeds.root.spawn_key == one.root.spawn_key
        for name in ("parameters", "colonisation", "measurement"):
            assert np.array_equal(animal_rng(getattr(seeds, name)).random(3), animal_rng(getattr(one, name)).random(3))
    children = child_sequences([s.colonisation for s in many], 1)
    for child, seeds in zip(children, many):
        assert (child.entropy, child.spawn_key) == (2019, child_stream(seeds.colonisation, 1).spawn_key)
        reference = np.random.default_rng(child_stream(seeds.colonisation, 1))
        assert np.array_equal(animal_rng(child).random(2), reference.random(2))
