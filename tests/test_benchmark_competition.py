"""benchmarks/competition.py: early-spike counts and the ideal winner-take-all on known inputs."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import competition  # noqa: E402


def test_early_counts_keep_the_first_spikes_of_each_sample_and_drop_the_rest_window():
    # 2 samples of 10 ms (dt 0.5), counting window 8 ms; times from the run's start
    i = np.array([3, 1, 2, 1, 0, 4, 2])
    t = np.array([2.0, 1.0, 1.0, 9.0, 12.0, 10.5, 17.9999999])
    c = competition.early_counts(i, t, 2, 5, sample_ms=10.0, count_ms=8.0, dt_ms=0.5,
                                 first_k=[1, 2], first_ms=[1.5])
    # sample 0: spikes at 1.0 (neurons 1, 2: a tie, ordered by index), 2.0 (3); 9.0 is outside
    # sample 1: 0.5 ms (4), 2.0 ms (0); 7.9999999 ms is step 16 = outside the 8 ms window
    np.testing.assert_array_equal(c["all"], [[0, 1, 1, 1, 0], [1, 0, 0, 0, 1]])
    np.testing.assert_array_equal(c["first_1"], [[0, 1, 0, 0, 0], [0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(c["first_2"], [[0, 1, 1, 0, 0], [1, 0, 0, 0, 1]])
    np.testing.assert_array_equal(c["first_1.5ms"], [[0, 1, 1, 0, 0], [0, 0, 0, 0, 1]])


def test_ideal_wta_labels_neurons_by_the_training_rows_they_win():
    w = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    x_train = np.array([[1.0, 0.1], [0.9, 0.0], [0.0, 1.0]])
    y_train = np.array([2, 2, 0])
    x_test = np.array([[0.8, 0.2], [0.1, 0.7]])
    np.testing.assert_array_equal(competition.ideal_wta(x_train, y_train, x_test, w, 3, 1), [2, 0])
    # a neuron that wins no training row answers with the fallback class
    w3 = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    x3 = np.hstack([x_train, np.zeros((3, 1))])
    pred = competition.ideal_wta(x3, y_train, np.array([[0.0, 0.1, 1.0]]), w3, 3, 1)
    np.testing.assert_array_equal(pred, [1])


def test_one_nn_is_scale_invariant():
    x_train = np.array([[1.0, 0.0], [0.0, 1.0]])
    pred = competition.one_nn(x_train, np.array([4, 7]), np.array([[10.0, 1.0], [0.2, 3.0]]))
    np.testing.assert_array_equal(pred, [4, 7])
