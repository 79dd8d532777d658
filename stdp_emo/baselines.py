"""SUPERVISED reference baselines on the audio: an RBF-SVM on MFCC statistics, and the
speech-emotion field's standard reference features, openSMILE eGeMAPS v02 functionals.

:func:`svm_baseline`: an RBF SVM on the means and standard deviations of the
audio features over each clip's real frames
(:func:`stdp_emo.features.audio.frame_statistics`), the benchmarks' reference
baseline.

:func:`egemaps`: Eyben et al. (2016), "The Geneva Minimalistic Acoustic Parameter
Set (GeMAPS) for voice research and affective computing", IEEE Trans. Affective
Computing: 88 utterance-level functionals (pitch, loudness, spectral tilt,
formants, jitter, shimmer, ...) per clip.  An RBF-SVM on them
(:func:`stdp_emo.evaluation.svm_on_vectors`) is the SUPERVISED reference the
benchmarks report beside the unsupervised network.

eGeMAPS comes from :mod:`stdp_emo.features.functionals` (openSMILE, which ships its
own binary and runs offline); the features are cached like the audio features,
keyed by the clips' files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .config import AudioConfig
from .datasets.base import Dataset
from .evaluation import svm_on_vectors
from .features.audio import extract_dataset, frame_statistics
from .features.functionals import N_EGEMAPS


def svm_baseline(train_feats: np.ndarray, y_train: np.ndarray, test_feats: np.ndarray,
                 y_test: np.ndarray, n_valid_train: np.ndarray, n_valid_test: np.ndarray,
                 seed: int, classes: Sequence[str] | None = None) -> dict:
    """Supervised RBF SVM on utterance-level feature statistics (reference baseline).

    Each sample is described by the means and standard deviations of its unscaled
    features over its real frames (:func:`~stdp_emo.features.audio.frame_statistics`),
    standardised with training statistics (:func:`stdp_emo.evaluation.svm_on_vectors`).  ``C`` (0.1..100) and
    ``gamma`` (0.25, 1, 4 times 1 / n_inputs) are chosen by a 3-fold
    stratified cross-validation inside the training split.

    Parameters
    ----------
    train_feats : ndarray, shape (n_train, n_coeff, n_frames)
    y_train : ndarray of int, shape (n_train,)
    test_feats : ndarray, shape (n_test, n_coeff, n_frames)
    y_test : ndarray of int, shape (n_test,)
    n_valid_train, n_valid_test : ndarray of int
        Real frames of each sample.
    seed : int
        Seed of the inner CV folds.
    classes : sequence of str, optional
        Class names (default "0", "1", ...).

    Returns
    -------
    dict
        :func:`stdp_emo.evaluation.metrics` of the test split, plus ``supervised`` (True),
        ``C`` and ``gamma``.
    """
    return svm_on_vectors(frame_statistics(train_feats, n_valid_train), y_train,
                          frame_statistics(test_feats, n_valid_test), y_test, seed, classes)


def egemaps(dataset: Dataset, cache_dir: str | Path | None = None) -> tuple[np.ndarray, list[str]]:
    """eGeMAPS v02 functionals of every clip with an audio file.

    The features of ``[audio] kind = "egemaps"``
    (:func:`stdp_emo.features.audio.extract_dataset`, same cache).

    Parameters
    ----------
    dataset : Dataset
    cache_dir : path, optional
        Default ``data_home() / "cache"``.

    Returns
    -------
    x : ndarray, shape (n_clips, 88), float64
        NaN rows for clips whose file could not be read (logged).
    ids : list of str
        Clip ids, in dataset order.
    """
    feats, _, ok_ids = extract_dataset(dataset, AudioConfig(kind="egemaps"), cache_dir,
                                       progress=False, skip_bad=True)
    ids = [c.id for c in dataset.clips]
    row = {i: k for k, i in enumerate(ok_ids)}
    x = np.full((len(ids), N_EGEMAPS), np.nan)
    for k, i in enumerate(ids):
        if i in row:
            x[k] = feats[row[i], :, 0]
    return x, ids
