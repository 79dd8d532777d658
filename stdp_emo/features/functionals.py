"""Clip-level acoustic functionals: openSMILE eGeMAPS v02.

Eyben et al. (2016), "The Geneva Minimalistic Acoustic Parameter Set (GeMAPS) for
voice research and affective computing", IEEE Trans. Affective Computing 7(2):
88 functionals per utterance of 25 low-level descriptors (pitch in semitones,
loudness, jitter, shimmer, harmonics-to-noise ratio, formants F1-F3 and their
bandwidths and levels, alpha ratio, Hammarberg index, spectral slopes, MFCC 1-4,
spectral flux) plus rates of loudness peaks and voiced / unvoiced segment lengths.
They are the speech-emotion field's standard reference features.

For the network they are a *feature image with one frame*: ``kind = "egemaps"``
gives features of shape (88, 1) with one real frame, so the scaling, the
population / contrast code and per-speaker normalisation apply unchanged, and
the code is invariant to where speech happens in the clip by construction.
openSMILE finds the voiced and active parts itself; the signal is analysed
untrimmed (as the measured figures were).

openSMILE ships its own binary in the ``opensmile`` package and runs offline.
Its licence is audEERING's research licence (free for research, education and
personal use; commercial use needs a licence from audEERING); the MFCC and Mel
feature kinds do not use it.
"""
from __future__ import annotations

import functools

import numpy as np

from ..errors import DataError

N_EGEMAPS = 88
"""Functionals of eGeMAPS v02."""


@functools.lru_cache(maxsize=1)
def _smile():
    """The openSMILE extractor (one per process; building it reads its config files)."""
    try:
        import opensmile
    except ImportError:
        raise DataError("eGeMAPS features need the opensmile package "
                        "(pip install opensmile)") from None
    return opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.Functionals)


def egemaps_names() -> list[str]:
    """Names of the 88 functionals, in column order."""
    return list(_smile().feature_names)


def egemaps(signal: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """eGeMAPS v02 functionals of one mono signal.

    Parameters
    ----------
    signal : ndarray, shape (n_samples,)
        Mono audio.
    sample_rate_hz : int

    Returns
    -------
    ndarray of float64, shape (88,)

    Raises
    ------
    DataError
        openSMILE failed or returned non-finite values.
    """
    signal = np.asarray(signal, dtype=np.float32)
    if signal.ndim != 1 or signal.size == 0:
        raise ValueError(f"expected a non-empty mono signal, got shape {signal.shape}")
    try:
        values = _smile().process_signal(signal, sample_rate_hz).to_numpy()[0]
    except DataError:
        raise
    except Exception as e:  # openSMILE raises plain RuntimeErrors
        raise DataError(f"eGeMAPS extraction failed ({e})") from None
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (N_EGEMAPS,) or not np.isfinite(values).all():
        raise DataError(f"eGeMAPS gave {values.size} values, not {N_EGEMAPS} finite ones")
    return values
