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

eGeMAPS needs the optional ``opensmile`` package (``pip install -e .[baselines]``);
it ships its own binary and runs offline.  Features are cached like the audio
features, keyed by the clips' files.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from .datasets.base import Dataset
from .errors import DataError
from .evaluation import svm_on_vectors
from .features.audio import frame_statistics
from .fileio import write_npz
from .paths import data_home

log = logging.getLogger(__name__)

N_EGEMAPS = 88
"""Functionals of eGeMAPS v02."""


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


def _smile():
    try:
        import opensmile
    except ImportError:
        raise DataError("the eGeMAPS baseline needs the opensmile package: "
                        "pip install -e '.[baselines]'") from None
    return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.Functionals)


def egemaps(dataset: Dataset, cache_dir: str | Path | None = None) -> tuple[np.ndarray, list[str]]:
    """eGeMAPS v02 functionals of every clip with an audio file.

    Parameters
    ----------
    dataset : Dataset
    cache_dir : path, optional
        Default ``data_home() / "cache"``.

    Returns
    -------
    x : ndarray, shape (n_clips, 88), float64
        NaN rows for clips whose file openSMILE could not read (logged).
    ids : list of str
        Clip ids, in dataset order.
    """
    from .features.audio import _file_stamp

    stamps = sorted([c.id, *_file_stamp(c.audio_path)] for c in dataset.clips)
    key = hashlib.sha256(json.dumps({"set": "eGeMAPSv02", "clips": stamps}).encode()).hexdigest()[:16]
    path = (Path(cache_dir) if cache_dir else data_home() / "cache") / f"{dataset.name}-egemaps-{key}.npz"
    ids = [c.id for c in dataset.clips]
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            if list(z["ids"]) == ids:
                return z["x"].astype(np.float64), ids
    smile = _smile()
    x = np.full((len(ids), N_EGEMAPS), np.nan)
    for k, clip in enumerate(dataset.clips):
        if clip.audio_path is None:
            continue
        try:
            x[k] = smile.process_file(str(clip.audio_path)).to_numpy()[0]
        except Exception as e:  # openSMILE raises plain RuntimeErrors on unreadable files
            log.warning("%s: eGeMAPS failed (%s)", clip.audio_path, e)
    write_npz(path, x=x, ids=np.array(ids, dtype=str))
    return x, ids
