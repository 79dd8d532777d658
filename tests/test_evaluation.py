"""Neuron labelling, classification, metrics and the supervised references."""
from __future__ import annotations

import numpy as np
import pytest

from stdp_emo import evaluation as ev


# ------------------------------------------------------------------ labelling and voting
def test_assign_labels_by_hand():
    counts = np.array([[5, 0, 1, 0],
                       [3, 0, 1, 0],
                       [0, 4, 1, 0],
                       [0, 0, 3, 0]])
    labels = np.array([0, 0, 1, 2])
    # class means: c0 = [4, 0, 1, 0], c1 = [0, 4, 1, 0], c2 = [0, 0, 3, 0]; neuron 3 never fires
    np.testing.assert_array_equal(ev.assign_labels(counts, labels, 3), [0, 1, 2, -1])


def test_assign_labels_uses_the_mean_not_the_sum():
    # class 0: 4 samples with 2 spikes each (sum 8, mean 2); class 1: 1 sample with 3 (mean 3)
    counts = np.array([[2], [2], [2], [2], [3]])
    labels = np.array([0, 0, 0, 0, 1])
    assert ev.assign_labels(counts, labels, 2)[0] == 1


def test_assign_labels_ties_and_absent_classes():
    counts = np.array([[2, 0], [2, 1]])
    labels = np.array([1, 2])  # class 0 has no sample: never assigned
    # neuron 0: tie between classes 1 and 2 -> 1; neuron 1: class 2
    np.testing.assert_array_equal(ev.assign_labels(counts, labels, 3), [1, 2])


def test_class_scores_and_predict_by_hand():
    assignments = np.array([0, 0, 1, -1])
    counts = np.array([[2, 4, 1, 9],   # scores [3, 1, 0] -> 0 (unassigned neuron ignored)
                       [0, 1, 5, 0],   # [0.5, 5, 0]     -> 1
                       [1, 1, 2, 0],   # [1, 2, 0]       -> 1
                       [2, 0, 1, 0],   # [1, 1, 0]       -> tie -> 0
                       [0, 0, 0, 7],   # only an unassigned neuron fired -> fallback
                       [0, 0, 0, 0]])  # silent -> fallback
    scores = ev.class_scores(counts, assignments, 3)
    np.testing.assert_allclose(scores, [[3, 1, 0], [0.5, 5, 0], [1, 2, 0], [1, 1, 0],
                                        [0, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(ev.predict(counts, assignments, 3, fallback=2),
                                  [0, 1, 1, 0, 2, 2])
    np.testing.assert_array_equal(ev.predict(counts, assignments, 3), [0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(ev.silent_samples(counts), [0, 0, 0, 0, 0, 1])


def test_strongest_keeps_each_samples_top_k_labelled_neurons():
    assignments = np.array([0, 1, 1, -1, 2])
    counts = np.array([[5, 3, 3, 9, 1],     # unassigned 9 takes no place; 3 / 3 tie at k = 2
                       [0, 0, 2, 0, 0],     # one neuron fired: nothing else is kept
                       [1, 4, 0, 0, 2]])
    np.testing.assert_array_equal(ev.strongest(counts, assignments, 1),
                                  [[5, 0, 0, 0, 0], [0, 0, 2, 0, 0], [0, 4, 0, 0, 0]])
    np.testing.assert_array_equal(ev.strongest(counts, assignments, 2),
                                  [[5, 3, 3, 0, 0], [0, 0, 2, 0, 0], [0, 4, 0, 0, 2]])
    np.testing.assert_array_equal(ev.strongest(counts, assignments, 0),
                                  np.where(assignments >= 0, counts, 0))
    with pytest.raises(ValueError, match="top_k"):
        ev.strongest(counts, assignments, -1)


def test_top_k_vote_ignores_many_weak_voters():
    # class 0 owns one strongly responding neuron, class 1 three weak ones; with one vote
    # per spike the weak ones outvote it together, but not when only the strongest votes
    assignments = np.array([0, 1, 1, 1])
    weights = np.array([[1, 0], [0, 1], [0, 1], [0, 1]], dtype=float)   # a spike is one vote
    counts = np.array([[4, 2, 2, 2]])
    assert ev.predict(counts, assignments, 2, weights=weights)[0] == 1           # 6 > 4
    assert ev.predict(counts, assignments, 2, weights=weights, top_k=1)[0] == 0  # the strongest
    np.testing.assert_allclose(ev.class_scores(counts, assignments, 2, weights, top_k=1), [[4, 0]])


def test_label_then_predict_recovers_selective_neurons():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), [10, 20, 5])
    preferred = np.repeat(np.arange(3), 4)  # 12 neurons, 4 per class
    rates = np.where(labels[:, None] == preferred[None, :], 6.0, 1.0)
    counts = rng.poisson(rates)
    assignments = ev.assign_labels(counts, labels, 3)
    np.testing.assert_array_equal(assignments, preferred)
    assert np.mean(ev.predict(counts, assignments, 3) == labels) > 0.9


# ------------------------------------------------------------------ metrics
def test_vote_weights_by_hand():
    # labelling responses: neuron 0 (class 0) fires 10 for everything, neuron 1 (class 0) is
    # selective (4 for class 0, 0 otherwise), neuron 2 (class 1) fires 2 for class 1 only
    counts = np.array([[10, 4, 0],
                       [10, 4, 0],
                       [10, 0, 2],
                       [10, 0, 2]], dtype=float)
    labels = np.array([0, 0, 1, 1])
    a = ev.assign_labels(counts, labels, 2)
    np.testing.assert_array_equal(a, [0, 0, 1])
    mean = ev.vote_weights(counts, labels, a, 2, "mean")
    np.testing.assert_allclose(mean, [[0.5, 0], [0.5, 0], [0, 1]])
    norm = ev.vote_weights(counts, labels, a, 2, "normalised")
    # mean responses 10, 2, 1 -> 1 / (n_c * r)
    np.testing.assert_allclose(norm, [[0.05, 0], [0.25, 0], [0, 1.0]])
    prop = ev.vote_weights(counts, labels, a, 2, "proportion")
    # class-mean proportions on the assigned class: 10/20, 4/4, 2/2
    np.testing.assert_allclose(prop, [[0.25, 0], [0.5, 0], [0, 1.0]])
    # a test sample where only the unselective neuron fires more than usual and the
    # class-1 neuron fires at its usual level: the mean vote says class 0, the
    # normalised vote (relative to each neuron's usual response) says class 1
    x = np.array([[12, 0, 2]], dtype=float)
    assert ev.predict(x, a, 2, weights=mean)[0] == 0
    assert ev.predict(x, a, 2, weights=norm)[0] == 1
    with pytest.raises(ValueError, match="unknown vote"):
        ev.vote_weights(counts, labels, a, 2, "majority")


def test_per_layer_vote_is_the_sum_of_each_layers_own_vote():
    rng = np.random.default_rng(5)
    big, small = rng.poisson(2.0, (40, 30)).astype(float), rng.poisson(2.0, (40, 6)).astype(float)
    labels = rng.integers(0, 4, 40)
    counts = np.concatenate([big, small], axis=1)
    groups = np.repeat([0, 1], [30, 6])
    a = ev.assign_labels(counts, labels, 4)
    test = rng.poisson(2.0, (12, 36)).astype(float)
    for vote in ev.VOTES:
        w = ev.vote_weights(counts, labels, a, 4, vote, groups)
        each = sum(ev.class_scores(test[:, g == k], a[g == k], 4,
                                   ev.vote_weights(counts[:, g == k], labels, a[g == k], 4, vote))
                   for k, g in ((0, groups), (1, groups)))
        np.testing.assert_allclose(ev.class_scores(test, a, 4, w), each)
    with pytest.raises(ValueError, match="groups of shape"):
        ev.vote_weights(counts, labels, a, 4, "mean", groups[:-1])


def test_per_layer_vote_is_not_swayed_by_a_layers_size():
    # layer A: neuron 0 fires 2 for class 0, neuron 1 fires 3 for class 1; layer B: n_b
    # neurons that fire 1 for class 1 (all assigned to class 1)
    labels = np.array([0, 1, 0, 1])

    def layers(n_b):
        a_layer = np.array([[2, 0], [0, 3], [2, 0], [0, 3]], float)
        b_layer = np.tile(np.array([[0], [1], [0], [1]], float), (1, n_b))
        counts = np.concatenate([a_layer, b_layer], axis=1)
        return counts, ev.assign_labels(counts, labels, 2), np.repeat([0, 1], [2, n_b])

    def scores(n_b, per_layer):
        counts, a, groups = layers(n_b)
        x = np.concatenate([[2.0, 3.0], np.zeros(n_b)])[None]   # A answers both, B is silent
        w = ev.vote_weights(counts, labels, a, 2, "mean", groups if per_layer else None)
        return ev.class_scores(x, a, 2, w)[0]

    np.testing.assert_array_equal(layers(10)[1], [0] + [1] * 11)
    # pooled: class 1's mean runs over 11 neurons, 10 of them silent -> 3 / 11 < 2: class 0
    np.testing.assert_allclose(scores(10, False), [2.0, 3.0 / 11])
    # per layer: layer A's class-1 neuron keeps its say (3), layer B adds its mean (0): class 1
    np.testing.assert_allclose(scores(10, True), [2.0, 3.0])
    # a ten times larger layer B changes the pooled vote, not the per-layer one
    np.testing.assert_allclose(scores(100, True), scores(10, True))
    np.testing.assert_allclose(scores(100, False), [2.0, 3.0 / 101])


def test_default_weights_are_the_mean_vote():
    rng = np.random.default_rng(3)
    counts = rng.poisson(2.0, (30, 12)).astype(float)
    labels = rng.integers(0, 3, 30)
    a = ev.assign_labels(counts, labels, 3)
    test = rng.poisson(2.0, (10, 12))
    np.testing.assert_allclose(ev.class_scores(test, a, 3),
                               ev.class_scores(test, a, 3, ev.vote_weights(counts, labels, a, 3)))
    with pytest.raises(ValueError, match="vote weights of shape"):
        ev.class_scores(test, a, 3, np.ones((5, 3)))


def test_metrics_accuracy_vs_uar():
    y_true = np.array([0] * 8 + [1] * 2)
    y_pred = np.zeros(10, dtype=int)
    m = ev.metrics(y_true, y_pred, ("a", "b", "c"))
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["uar"] == pytest.approx(0.5)  # mean of recalls 1.0 and 0.0; "c" is absent
    assert m["per_class_accuracy"] == {"a": 1.0, "b": 0.0, "c": None}
    assert m["confusion"] == [[8, 0, 0], [2, 0, 0], [0, 0, 0]]
    assert m["n"] == 10


def test_metrics_hand_made_confusion():
    # rows true, columns predicted
    confusion = np.array([[3, 1, 0],
                          [0, 2, 2],
                          [1, 0, 1]])
    y_true = np.repeat(np.repeat(np.arange(3), 3), confusion.ravel())
    y_pred = np.repeat(np.tile(np.arange(3), 3), confusion.ravel())
    m = ev.metrics(y_true, y_pred, ("x", "y", "z"))
    assert m["confusion"] == confusion.tolist()
    assert m["accuracy"] == pytest.approx(6 / 10)
    assert m["per_class_accuracy"] == pytest.approx({"x": 0.75, "y": 0.5, "z": 0.5})
    assert m["uar"] == pytest.approx((0.75 + 0.5 + 0.5) / 3)


def test_metrics_rejects_bad_input():
    with pytest.raises(ValueError):
        ev.metrics([0, 1], [0, -1], ("a", "b"))
    with pytest.raises(ValueError):
        ev.metrics([0, 1], [0], ("a", "b"))
    with pytest.raises(ValueError):
        ev.metrics([], [], ("a", "b"))


# ------------------------------------------------------------------ supervised references
def toy_counts(n_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts, 3 classes, 15 neurons of which 5 prefer each class."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    rates = np.where(y[:, None] == np.repeat(np.arange(3), 5)[None, :], 8.0, 2.0)
    return rng.poisson(rates), y


def test_linear_readout_separable_and_shuffled():
    x_train, y_train = toy_counts(30, seed=1)
    x_test, y_test = toy_counts(20, seed=2)
    m = ev.linear_readout(x_train, y_train, x_test, y_test, seed=0, classes=("a", "b", "c"))
    assert m["supervised"] is True and m["accuracy"] > 0.9 and m["n"] == 60
    assert set(m["per_class_accuracy"]) == {"a", "b", "c"}
    shuffled = np.random.default_rng(3).permutation(y_train)
    chance = ev.linear_readout(x_train, shuffled, x_test, y_test, seed=0)
    assert chance["uar"] < 0.6


def test_polarity_from_class_predictions():
    from stdp_emo.evaluation import polarity_metrics

    classes = ["neutral", "happy", "sad", "angry"]
    y_true = np.array([0, 1, 1, 2, 3])
    y_pred = np.array([1, 1, 2, 3, 0])          # neutral sample ignored; last: no polarity = wrong
    p = polarity_metrics(y_true, y_pred, classes)
    assert p["n"] == 4 and p["accuracy"] == pytest.approx(2 / 4)
    assert p["positive"] == ["happy"] and p["negative"] == ["sad", "angry"]


def test_energy_estimate_uses_45nm_figures():
    from stdp_emo.evaluation import energy_estimate

    e = energy_estimate({"synaptic_ops_per_sample": 1e6, "n_synapses": 2_000_000})
    assert e["snn_energy_uj"] == pytest.approx(0.9) and e["ann_energy_uj"] == pytest.approx(9.2)
    assert e["ratio"] == pytest.approx(9.2 / 0.9)


def test_evaluation_imports_no_feature_code():
    """Votes, metrics and classifiers work on arrays: evaluation imports no earlier stage."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(ev.__file__).read_text())
    local = {n.module for n in ast.walk(tree)
             if isinstance(n, ast.ImportFrom) and (n.level or (n.module or "").startswith("stdp_emo"))}
    assert not {m for m in local if m and m.split(".")[0] in
                ("features", "datasets", "generators", "encoding", "network", "simulate")}, local
