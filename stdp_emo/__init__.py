"""stdp_emo: unsupervised STDP spiking networks for audio-visual emotion recognition.

Data flows one way through the sub-packages::

    generators -> datasets -> features (audio, dvs) -> encoding -> network -> simulate
               -> evaluation -> plotting / records

Only :mod:`stdp_emo.network` and :mod:`stdp_emo.simulate` import Brian2.
"""

__version__ = "0.1.0"

EMOTIONS_RAVDESS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
"""The 8 RAVDESS emotions, in the order of their code (01..08)."""
