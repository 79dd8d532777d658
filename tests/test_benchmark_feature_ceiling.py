"""benchmarks/feature_ceiling.py: the imprinted-prototype vote on hand-made inputs."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import feature_ceiling  # noqa: E402


def test_top_1_is_the_most_strongly_driven_normalised_prototype():
    # by raw dot product the long row [10, 0] drives [0.3, 1] most; once normalised, [0, 1] wins
    x_train = np.array([[10.0, 0.0], [0.0, 1.0]])
    y_train = np.array([0, 1])
    x_test = np.array([[0.3, 1.0], [1.0, 0.1]])
    assert feature_ceiling.topk_vote(x_train, y_train, x_test, 1, 2).tolist() == [1, 0]


def test_top_k_takes_the_majority_of_the_k_nearest():
    x_train = np.array([[1.0, 0.0], [0.9, 0.2], [0.8, 0.3], [0.0, 1.0]])
    y_train = np.array([0, 1, 1, 2])
    x_test = np.array([[1.0, 0.05]])
    vote = lambda k: feature_ceiling.topk_vote(x_train, y_train, x_test, k, 3)[0]  # noqa: E731
    assert vote(1) == 0          # the single nearest
    assert vote(3) == 1          # two of the three nearest are class 1


def test_code_of_clip_values_is_the_default_encoders_on_off_code():
    from stdp_emo.config import ExperimentConfig

    values = np.random.default_rng(0).normal(size=(30, 3))
    cfg = ExperimentConfig()
    code = feature_ceiling.code_of(values, np.arange(20), cfg, 4)
    assert code.shape == (30, 3 * 4 * 2)              # ON and OFF halves, 4 curves per value
    # fractions of the maximum rate: within [0, 1], and some input at full rate
    assert np.isfinite(code).all() and code.min() >= 0 and code.max() <= 1.0
    assert code.max() == 1.0
