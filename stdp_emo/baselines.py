"""The speech-emotion field's standard reference features: openSMILE eGeMAPS v02 functionals.

Eyben et al. (2016), "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for
voice research and affective computing", IEEE Trans. Affective Computing: 88
utterance-level functionals (pitch, loudness, spectral tilt, formants, jitter,
shimmer, ...) per clip.  An RBF-SVM on them (:func:`stdp_emo.evaluation.svm_on_vectors`)
is the SUPERVISED reference the benchmarks report beside the unsupervised network.

Needs the optional ``opensmile`` package (``pip install -e .[baselines]``); it
ships its own binary and runs offline.  Features are cached like the audio
features, keyed by the clips' files.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from .datasets.base import Dataset
from .errors import DataError
from .fileio import write_npz
from .paths import data_home

log = logging.getLogger(__name__)

N_EGEMAPS = 88
"""Functionals of eGeMAPS v02."""


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
