"""Datasets: loaders that turn a folder into a :class:`~stdp_emo.datasets.base.Dataset`.

``synthetic``  built-in generated speech (:mod:`.synthetic`), made on first use by
               :mod:`stdp_emo.generators.speech`
``ravdess``    RAVDESS ``Actor_XX/MM-VV-EE-II-SS-RR-AA.wav|.mp4`` (:mod:`.ravdess`)
``enterface``  eNTERFACE'05 ``subject N/<emotion>/sentence K/*.avi`` (:mod:`.enterface`)

Loaders parse names and layout only; :mod:`.media` reads the audio.
:mod:`.faces` adds simulated face videos to a RAVDESS audio folder.  The data
generators themselves are in :mod:`stdp_emo.generators`.  The loader modules
are imported on demand, so importing this package is cheap.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataError
from .base import Clip, Dataset

DATASETS = ("synthetic", "ravdess", "enterface")
"""Names accepted by :func:`load_dataset`."""

__all__ = ["DATASETS", "Clip", "Dataset", "load_dataset", "require_folder"]


def load_dataset(name: str, root: str | os.PathLike | None = None,
                 include_song: bool = False) -> Dataset:
    """Load a dataset by name.

    Parameters
    ----------
    name : {"synthetic", "ravdess", "enterface"}
    root : path or None
        Dataset folder.  Required for ``ravdess`` and ``enterface``; for
        ``synthetic`` None (or ``""``) means ``data_home()/"synthetic"``,
        generated there on first use.
    include_song : bool
        RAVDESS only: also keep the song trials.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        For an unknown name, a missing root, or any problem of the data itself.
    """
    if name not in DATASETS:
        raise DataError(f"unknown dataset '{name}' (choose one of {', '.join(DATASETS)})")
    if name == "synthetic":
        from . import synthetic

        return synthetic.load(root or None)
    if not root:
        raise DataError(f"dataset '{name}' needs a root folder "
                        f"(e.g. --root DIR, or data.root in the config)")
    if name == "ravdess":
        from . import ravdess

        return ravdess.load(root, include_song=include_song)
    from . import enterface

    return enterface.load(root)


def require_folder(root: str | os.PathLike, expected: str) -> Path:
    """Return ``root`` as a Path if it is an existing folder, else raise.

    Parameters
    ----------
    root : path
    expected : str
        What the folder should hold, for the message (e.g. ``"Actor_XX/*.wav files"``).

    Raises
    ------
    DataError
        ``"<root>: dataset folder not found (expected ...)"`` or ``"<root>: not a folder (...)"``.
    """
    root = Path(root)
    if not root.exists():
        raise DataError(f"{root}: dataset folder not found (expected {expected})")
    if not root.is_dir():
        raise DataError(f"{root}: not a folder (expected {expected})")
    return root
