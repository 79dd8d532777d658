"""benchmarks/prototype_diagnostic.py: k-NN, prototype and spike figures on hand-made layers."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import prototype_diagnostic as pd  # noqa: E402


def test_knn_vote_by_hand():
    # labelling samples along three directions; the test sample is nearest to one class-1
    # sample but has two class-0 samples next in line
    x_label = np.array([[1.0, 0.0], [0.9, 0.2], [0.8, 0.3], [0.0, 1.0]])
    y_label = np.array([1, 0, 0, 1])
    x_test = np.array([[1.0, 0.05]])
    assert pd.knn_accuracy(x_label, y_label, x_test, np.array([1]), 2, 1) == 1.0
    assert pd.knn_accuracy(x_label, y_label, x_test, np.array([0]), 2, 3) == 1.0
    with pytest.raises(ValueError, match="--knn 5"):
        pd.knn_accuracy(x_label, y_label, x_test, np.array([0]), 2, 5)


def _layer():
    """Four neurons that imprinted the four labelling samples (two classes); two test
    samples near samples 0 and 3."""
    x_label = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0],
                        [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    y_label = np.array([0, 0, 1, 1])
    x_test = np.array([[0.9, 0.1, 0.0, 0.0], [0.0, 0.0, 0.2, 0.9]])
    y_test = np.array([0, 1])
    return x_label, y_label, x_test, y_test, x_label.copy()


def test_imprinted_prototypes_are_the_nearest_neighbour_and_winners_are_compared():
    x_label, y_label, x_test, y_test, w = _layer()
    label_counts = np.eye(4) * 5                       # each sample drives its own neuron
    # test sample 0: the network's top neuron is its nearest prototype (0); sample 1: it is
    # neuron 2 (same class, not the nearest prototype 3)
    test_counts = np.array([[6, 1, 0, 0], [0, 0, 4, 3]])
    r = pd.diagnose(x_label, y_label, x_test, y_test, w, label_counts, test_counts, 2,
                    knn=(1, 3), top_k=(1,), vote="mean")
    assert r["prototype_distinct_winners"] == 4 and r["prototype_wta"] == 1.0
    assert r["input_knn_1"] == 1.0
    assert r["network_vote"] == 1.0 and r["network_top_k_1"] == 1.0
    assert r["network_winner_is_nearest_prototype_label"] == 1.0
    assert r["network_winner_is_nearest_prototype_test"] == 0.5
    assert r["spikes_per_sample"] == 7.0 and r["active_neurons"] == 2.0
    assert r["top_neuron_spike_share"] == pytest.approx((6 / 7 + 4 / 7) / 2)


def test_top_k_vote_differs_from_the_full_vote():
    x_label, y_label, x_test, y_test, w = _layer()
    label_counts = np.eye(4) * 5
    # test sample 0 (class 0): one strong class-0 neuron, two weaker class-1 neurons
    test_counts = np.array([[5, 0, 3, 3], [0, 0, 4, 3]])
    r = pd.diagnose(x_label, y_label, x_test, y_test, w, label_counts, test_counts, 2,
                    knn=(1,), top_k=(1,), vote="mean")
    assert r["network_vote"] == 0.5            # class means 2.5 vs 3: sample 0 goes to class 1
    assert r["network_top_k_1"] == 1.0         # only the strongest neuron votes


def test_cli_rejects_runs_without_model(tmp_path, capsys):
    from stdp_emo.late_fusion import write_counts

    d = tmp_path / "run"
    d.mkdir()
    c = np.eye(3, dtype=int)
    write_counts(d, {"audio": c}, {"audio": c}, ["a", "b", "c"], ["a", "b", "c"],
                 np.arange(3), np.arange(3))
    (d / "metrics.json").write_text(json.dumps(
        {"unsupervised": {"per_class_accuracy": {"x": 0, "y": 0, "z": 0}, "confusion": []}}))
    assert pd.main([str(d)]) == 2
    assert "the model it wrote is not found" in capsys.readouterr().err
