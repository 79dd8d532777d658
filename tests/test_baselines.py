"""Supervised reference baselines: the RBF SVM on MFCC statistics."""
from __future__ import annotations

import numpy as np

from stdp_emo import baselines
from toy_data import toy_features




def test_svm_baseline_separable_and_shuffled():
    x_train, y_train, n_train = toy_features(30, seed=1)
    x_test, y_test, n_test = toy_features(20, seed=2)
    m = baselines.svm_baseline(x_train, y_train, x_test, y_test, n_train, n_test, seed=0)
    assert m["supervised"] is True and m["accuracy"] > 0.9
    assert m["C"] > 0 and m["gamma"] > 0
    shuffled = np.random.default_rng(3).permutation(y_train)
    chance = baselines.svm_baseline(x_train, shuffled, x_test, y_test, n_train, n_test, seed=0)
    assert chance["uar"] < 0.6
