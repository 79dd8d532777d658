"""benchmarks/temporal_proxy.py: the segment winner-take-all vote on hand-made inputs."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import temporal_proxy  # noqa: E402


def _clips(patterns, order):
    """Clips of 3 segments; segment vectors picked from ``patterns`` by ``order``."""
    return np.stack([np.concatenate([patterns[k] for k in row]) for row in order])


def test_clips_are_classified_by_their_segments_wherever_a_pattern_occurs():
    p = np.eye(4)
    # class 0 clips hold patterns 0 and 1, class 1 clips patterns 2 and 3, in any order
    train = [[0, 1, 0], [1, 0, 1], [0, 0, 1], [2, 3, 2], [3, 2, 3], [3, 3, 2]]
    test = [[1, 1, 0], [2, 2, 3]]           # orders never seen in training
    x = _clips(p, train + test)
    y = np.array([0, 0, 0, 1, 1, 1, 0, 1])
    acc = temporal_proxy.segment_wta_vote(x, y, np.arange(6), np.array([6, 7]), 3, 12, 0)
    assert acc == 1.0


def test_a_single_prototype_wins_everything_and_separates_nothing():
    p = np.eye(4)
    x = _clips(p, [[0, 0, 0], [2, 2, 2], [1, 1, 1], [3, 3, 3]])
    y = np.array([0, 1, 0, 1])
    # one prototype wins every segment of every clip: half its wins per class, a tie (class 0)
    acc = temporal_proxy.segment_wta_vote(x, y, np.arange(2), np.array([2, 3]), 3, 1, 0)
    assert acc == 0.5
