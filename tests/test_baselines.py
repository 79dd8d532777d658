"""Supervised reference baselines: the RBF SVM on MFCC statistics."""
from __future__ import annotations

import numpy as np

from stdp_emo import baselines
from stdp_emo.features.audio import valid_mask


def toy_features(n_per_class: int, seed: int):
    """Unscaled features (n, 4, 30) whose per-coefficient means depend on the class; padded."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    means = np.array([[0, 0, 0, 0], [2, 0, -2, 0], [0, 2, 0, -2]], dtype=float)
    x = rng.normal(means[y][:, :, None], 1.0, (y.size, 4, 30))
    n_valid = rng.integers(10, 31, y.size)
    x[~valid_mask(n_valid, 30)[:, None, :].repeat(4, axis=1)] = 0.0
    return x.astype(np.float32), y, n_valid


def test_svm_baseline_separable_and_shuffled():
    x_train, y_train, n_train = toy_features(30, seed=1)
    x_test, y_test, n_test = toy_features(20, seed=2)
    m = baselines.svm_baseline(x_train, y_train, x_test, y_test, n_train, n_test, seed=0)
    assert m["supervised"] is True and m["accuracy"] > 0.9
    assert m["C"] > 0 and m["gamma"] > 0
    shuffled = np.random.default_rng(3).permutation(y_train)
    chance = baselines.svm_baseline(x_train, shuffled, x_test, y_test, n_train, n_test, seed=0)
    assert chance["uar"] < 0.6
