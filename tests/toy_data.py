"""Small generated inputs shared by several test files (not tests themselves)."""
from pathlib import Path

import numpy as np
import pytest

from stdp_emo.features.audio import valid_mask
from stdp_emo.generators import speech

#: a one-actor synthetic set of 1-second clips
SMALL = dict(n_actors=1, seed=3, duration_s=1.0)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    """The SMALL synthetic set, generated once per test module."""
    return speech.generate(tmp_path_factory.mktemp("syn") / "set", **SMALL)


def wav_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.wav"))


def toy_features(n_per_class: int, seed: int):
    """Unscaled features (n, 4, 30) whose per-coefficient means depend on the class; padded."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    means = np.array([[0, 0, 0, 0], [2, 0, -2, 0], [0, 2, 0, -2]], dtype=float)
    x = rng.normal(means[y][:, :, None], 1.0, (y.size, 4, 30))
    n_valid = rng.integers(10, 31, y.size)
    x[~valid_mask(n_valid, 30)[:, None, :].repeat(4, axis=1)] = 0.0
    return x.astype(np.float32), y, n_valid
