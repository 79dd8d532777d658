"""stdp_emo: unsupervised STDP spiking networks for audio-visual emotion recognition.

Data flows one way (see ARCHITECTURE.md)::

    generators -> datasets -> features -> encoding -> network -> simulate
               -> training / frozen -> model / records -> plotting / report
               -> compare / sweep -> cli

Only :mod:`stdp_emo.network` and :mod:`stdp_emo.simulate` import Brian2.

Python API (the objects the CLI uses)::

    import stdp_emo
    cfg = stdp_emo.load_config("configs/tiny.toml")    # or stdp_emo.ExperimentConfig()
    model = stdp_emo.train(cfg)                          # -> TrainedModel, saved in models/
    model = stdp_emo.TrainedModel.load(model.path)
    model.predict(["clip.wav"])                          # -> [Prediction(emotion=...)]
    model.evaluate()                                     # its test split -> {"metrics": ...}
"""

__version__ = "0.1.0"

EMOTIONS_RAVDESS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
"""The 8 RAVDESS emotions, in the order of their code (01..08)."""

__all__ = ["ExperimentConfig", "TrainedModel", "load_config", "load_model", "train"]


def train(config=None, *, name: str | None = None, progress: bool = False, **kwargs):
    """Train a network for ``config`` and return the :class:`TrainedModel` (saved on disk).

    Parameters
    ----------
    config : ExperimentConfig, path of a TOML config, or None (the defaults)
    name : str, optional
        Model folder name under ``models/`` (default: the run's name).
    **kwargs
        Passed to :func:`stdp_emo.training.train` (``runs_home``, ``models_home``,
        ``checkpoint_every``, ...).

    Returns
    -------
    TrainedModel
        With ``path`` (its ``models/<name>/`` folder) and ``metrics`` (the run's
        ``metrics.json``: accuracy, UAR, per class, timings).
    """
    from .config import ExperimentConfig, load
    from .training import train as _train

    if config is None:
        config = ExperimentConfig()
    elif not isinstance(config, ExperimentConfig):
        config = load(config)
    return _train(config, model_name=name, progress=progress, **kwargs)["model"]


def load_model(path):
    """A saved model: :meth:`TrainedModel.load`."""
    from .model import TrainedModel

    return TrainedModel.load(path)


def __getattr__(name):
    if name == "TrainedModel":
        from .model import TrainedModel
        return TrainedModel
    if name == "ExperimentConfig":
        from .config import ExperimentConfig
        return ExperimentConfig
    if name == "load_config":
        from .config import load
        return load
    raise AttributeError(f"module 'stdp_emo' has no attribute {name!r}")
