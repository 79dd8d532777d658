"""Train/test splits: stratified random, or speaker-independent (whole actors held out).

Both are deterministic for a seed and return sorted clip indices.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from .base import Dataset

SPLIT_KINDS = ("random", "speaker")
"""Names accepted by :func:`split`."""


def split(dataset: Dataset, kind: str, test_fraction: float,
          seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split the clips of ``dataset`` into a training and a test set.

    Parameters
    ----------
    dataset : Dataset
    kind : {"random", "speaker"}
        ``random``: stratified by label, ``round(test_fraction * n_c)`` clips of
        each class ``c`` in the test set (at least 1, never all of them; the
        total is kept at ``round(test_fraction * n_clips)`` where possible).
        ``speaker``: ``round(test_fraction * n_actors)`` whole actors (at least
        1, never all) in the test set; with numeric actor ids both odd (male)
        and even (female) actors are drawn, in proportion, when possible.
    test_fraction : float
        In (0, 1).
    seed : int
        Seed of the draw.

    Returns
    -------
    train_idx, test_idx : numpy.ndarray
        Clip indices, shape (n_train,) and (n_test,), int64, sorted, disjoint.

    Raises
    ------
    ConfigError
        For an unknown kind or a fraction outside (0, 1).
    DataError
        If a class has fewer than 2 clips (random) or there are fewer than
        2 actors (speaker).
    """
    if kind not in SPLIT_KINDS:
        raise ConfigError(f"split: unknown kind '{kind}' (choose one of {', '.join(SPLIT_KINDS)})")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ConfigError(f"test_fraction: {test_fraction} is not between 0 and 1 (exclusive)")
    rng = np.random.default_rng(seed)
    if kind == "random":
        test = _stratified_test(dataset, float(test_fraction), rng)
    else:
        test_actors = _draw_test_actors(dataset, float(test_fraction), rng)
        test = np.flatnonzero(np.isin(dataset.actors, test_actors))
    is_test = np.zeros(len(dataset), dtype=bool)
    is_test[test] = True
    return np.flatnonzero(~is_test).astype(np.int64), np.flatnonzero(is_test).astype(np.int64)


def describe_split(dataset: Dataset, train_idx: np.ndarray, test_idx: np.ndarray) -> dict:
    """Sizes, actors and class counts of a split, for the run record (JSON-ready).

    Parameters
    ----------
    dataset : Dataset
    train_idx, test_idx : array of int
        As returned by :func:`split`.

    Returns
    -------
    dict
        ``n_train``, ``n_test`` (int); ``train_actors``, ``test_actors`` (sorted
        lists of str); ``shared_actors`` (actors in both sets, empty for a
        speaker split); ``class_counts``: ``{"train": {class: n}, "test": {class: n}}``
        over all classes of the dataset.
    """
    actors = dataset.actors
    labels = dataset.labels
    train_actors = sorted(set(actors[train_idx].tolist()))
    test_actors = sorted(set(actors[test_idx].tolist()))

    def per_class(idx: np.ndarray) -> dict[str, int]:
        counts = np.bincount(labels[idx], minlength=len(dataset.classes))
        return {c: int(n) for c, n in zip(dataset.classes, counts)}

    return {
        "n_train": int(len(train_idx)),
        "n_test": int(len(test_idx)),
        "train_actors": train_actors,
        "test_actors": test_actors,
        "shared_actors": sorted(set(train_actors) & set(test_actors)),
        "class_counts": {"train": per_class(train_idx), "test": per_class(test_idx)},
    }


def _round_half_up(x: np.ndarray | float) -> np.ndarray:
    """Round to the nearest integer, halves up (unlike Python's banker's rounding)."""
    return np.floor(np.asarray(x, dtype=float) + 0.5).astype(np.int64)


def _stratified_test(dataset: Dataset, test_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Test indices of a stratified random split, shape (n_test,)."""
    labels = dataset.labels
    classes, counts = np.unique(labels, return_counts=True)
    if len(labels) == 0:
        raise DataError(f"{dataset.root}: no clips to split")
    if counts.min() < 2:
        raise DataError(f"{dataset.root}: too few clips for a stratified split (class "
                        f"'{dataset.classes[classes[counts.argmin()]]}' has only 1 clip, needs 2)")
    n_test = _allocate(counts, test_fraction)
    test = [rng.permutation(np.flatnonzero(labels == c))[:k] for c, k in zip(classes, n_test)]
    return np.concatenate(test)


def _allocate(counts: np.ndarray, test_fraction: float) -> np.ndarray:
    """Test clips per class: largest-remainder shares of ``round(f * total)``, each in [1, n_c - 1]."""
    share = test_fraction * counts
    n_test = np.floor(share).astype(np.int64)
    missing = int(_round_half_up(test_fraction * counts.sum())) - int(n_test.sum())
    order = np.argsort(-(share - n_test), kind="stable")
    n_test[order[:max(missing, 0)]] += 1
    return np.clip(n_test, 1, counts - 1)


def _draw_test_actors(dataset: Dataset, test_fraction: float, rng: np.random.Generator) -> list[str]:
    """Actors held out for a speaker-independent split."""
    actors = sorted(set(dataset.actors.tolist()))
    if len(actors) < 2:
        raise DataError(f"{dataset.root}: a speaker split needs at least 2 actors, found {len(actors)}")
    n_test = int(np.clip(_round_half_up(test_fraction * len(actors)), 1, len(actors) - 1))
    if not all(a.isdigit() for a in actors):
        return sorted(rng.choice(actors, size=n_test, replace=False).tolist())
    groups = [[a for a in actors if int(a) % 2 == parity] for parity in (1, 0)]
    n_odd = _odd_share(n_test, len(groups[0]), len(groups[1]))
    picked = [rng.choice(g, size=k, replace=False).tolist() if k else []
              for g, k in zip(groups, (n_odd, n_test - n_odd))]
    return sorted(picked[0] + picked[1])


def _odd_share(n_test: int, n_odd: int, n_even: int) -> int:
    """How many of ``n_test`` held-out actors are odd (male): proportional, both sexes if possible."""
    k = int(_round_half_up(n_test * n_odd / (n_odd + n_even)))
    if n_test >= 2 and n_odd and n_even:
        k = min(max(k, 1), n_test - 1)
    return min(max(k, n_test - n_even), n_odd)
