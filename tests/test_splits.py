"""Stratified random and speaker-independent splits."""
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from stdp_emo import EMOTIONS_RAVDESS
from stdp_emo.datasets.base import Clip, Dataset
from stdp_emo.datasets.splits import describe_split, split
from stdp_emo.errors import ConfigError, DataError


def make_dataset(n_actors: int = 10, per_class: int = 6, actors=None, n_classes: int = 8) -> Dataset:
    """RAVDESS-like records without files: ``per_class`` clips per class and actor."""
    actors = actors or [f"{a:02d}" for a in range(1, n_actors + 1)]
    clips = [Clip(id=f"{a}-{k}-{i}", actor=a, label=k, audio_path=Path(f"{a}/{k}/{i}.wav"))
             for a in actors for k in range(n_classes) for i in range(per_class)]
    clips.sort(key=lambda c: c.id)
    return Dataset("test", Path("root"), EMOTIONS_RAVDESS[:n_classes], tuple(clips))


def check_partition(ds, train, test):
    assert train.dtype == np.int64 and test.dtype == np.int64
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    assert len(np.intersect1d(train, test)) == 0
    assert len(train) + len(test) == len(ds)


@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.25, 0.5])
def test_random_split_is_stratified(fraction):
    ds = make_dataset(n_actors=5, per_class=4)  # 20 clips per class
    train, test = split(ds, "random", fraction, seed=0)
    check_partition(ds, train, test)
    per_class = np.bincount(ds.labels[test], minlength=8)
    assert np.all(per_class == round(fraction * 20))
    assert len(test) == round(fraction * len(ds))


def test_random_split_unequal_classes():
    ds = make_dataset(n_actors=3, per_class=5)
    keep = [i for i, c in enumerate(ds.clips) if c.label != 0 or c.actor == "01"]  # class 0: 5 clips
    ds = ds.subset(keep)
    train, test = split(ds, "random", 0.2, seed=3)
    check_partition(ds, train, test)
    counts = Counter(ds.labels[test].tolist())
    assert counts[0] == 1 and all(counts[k] == 3 for k in range(1, 8))


def test_random_split_deterministic_and_seeded():
    ds = make_dataset()
    a = split(ds, "random", 0.2, seed=1)
    b = split(ds, "random", 0.2, seed=1)
    c = split(ds, "random", 0.2, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("n_actors, fraction, n_test", [(10, 0.2, 2), (10, 0.25, 3), (6, 0.2, 1),
                                                        (20, 0.2, 4), (2, 0.5, 1), (3, 0.9, 2)])
def test_speaker_split_holds_out_whole_actors(n_actors, fraction, n_test):
    ds = make_dataset(n_actors=n_actors, per_class=1)
    train, test = split(ds, "speaker", fraction, seed=0)
    check_partition(ds, train, test)
    test_actors = set(ds.actors[test])
    assert len(test_actors) == n_test
    assert not test_actors & set(ds.actors[train])


@pytest.mark.parametrize("seed", range(10))
def test_speaker_split_keeps_both_sexes(seed):
    ds = make_dataset(n_actors=10, per_class=1)
    _, test = split(ds, "speaker", 0.2, seed=seed)
    parities = {int(a) % 2 for a in set(ds.actors[test])}
    assert parities == {0, 1}


def test_speaker_split_non_numeric_actors():
    ds = make_dataset(actors=["ann", "bob", "cy", "dee"], per_class=1)
    train, test = split(ds, "speaker", 0.5, seed=0)
    assert len(set(ds.actors[test])) == 2 and not set(ds.actors[test]) & set(ds.actors[train])


def test_speaker_split_deterministic_and_seeded():
    ds = make_dataset(n_actors=20, per_class=1)
    runs = [tuple(sorted(set(ds.actors[split(ds, "speaker", 0.2, seed=s)[1]])))
            for s in (0, 0, 1, 2, 3)]
    assert runs[0] == runs[1]
    assert len(set(runs[1:])) > 1


def test_too_few():
    with pytest.raises(DataError, match="at least 2 actors"):
        split(make_dataset(n_actors=1), "speaker", 0.2, seed=0)
    ds = make_dataset(n_actors=1, per_class=1)
    with pytest.raises(DataError, match="has only 1 clip"):
        split(ds, "random", 0.2, seed=0)
    with pytest.raises(DataError, match="no clips"):
        split(ds.subset([]), "random", 0.2, seed=0)


@pytest.mark.parametrize("kind, fraction, words", [
    ("loso", 0.2, "unknown kind"), ("random", 0.0, "test_fraction"), ("speaker", 1.0, "test_fraction"),
])
def test_bad_arguments(kind, fraction, words):
    with pytest.raises(ConfigError, match=words):
        split(make_dataset(), kind, fraction, seed=0)


def test_describe_split():
    ds = make_dataset(n_actors=5, per_class=2)
    train, test = split(ds, "speaker", 0.2, seed=0)
    d = describe_split(ds, train, test)
    json.dumps(d)
    assert d["n_train"] == len(train) and d["n_test"] == len(test) == 16
    assert len(d["test_actors"]) == 1 and d["shared_actors"] == []
    assert sorted(d["train_actors"] + d["test_actors"]) == sorted(set(ds.actors))
    assert d["class_counts"]["test"] == {c: 2 for c in ds.classes}
    train, test = split(ds, "random", 0.2, seed=0)
    d = describe_split(ds, train, test)
    assert sum(d["class_counts"]["train"].values()) == d["n_train"] == 64
