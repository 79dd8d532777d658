"""Features -> input vectors for the Poisson input layer.

Scaled features (values in [0, 1]) are flattened in the (C, H, W) order that
:mod:`stdp_emo.network.topology` uses; the simulator turns a value ``x`` into
a Poisson rate ``x * max_rate_hz`` (times the retry intensity) during the
presentation window and 0 during the rest (DC15-code, MBY19: 0-63.75 Hz,
350 ms + 150 ms).
"""
from __future__ import annotations

import numpy as np


def audio_inputs(scaled: np.ndarray) -> np.ndarray:
    """Flatten scaled audio features into input vectors.

    Parameters
    ----------
    scaled : ndarray, shape (n_samples, n_coeff, n_frames)
        Values in [0, 1].

    Returns
    -------
    ndarray of float64, shape (n_samples, n_coeff * n_frames)
        Input ``c * n_frames + f`` is coefficient ``c`` at frame ``f``
        (input shape (1, n_coeff, n_frames)).
    """
    scaled = np.asarray(scaled, dtype=np.float64)
    if scaled.ndim != 3:
        raise ValueError(f"expected (n_samples, n_coeff, n_frames), got shape {scaled.shape}")
    if scaled.size and (scaled.min() < 0 or scaled.max() > 1):
        raise ValueError("scaled features must lie in [0, 1]")
    return scaled.reshape(scaled.shape[0], -1)


def expected_input_spikes(inputs: np.ndarray, max_rate_hz: float, present_ms: float) -> np.ndarray:
    """Expected number of input spikes of each sample, shape (n_samples,)."""
    return inputs.sum(axis=1) * max_rate_hz * present_ms * 1e-3
