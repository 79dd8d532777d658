"""Trained models (``models/<name>/``) and experiment records (``runs/<dataset>/<stamp>_<tag>/``).

A model directory holds plain files only, never pickles:

``config.toml``   the resolved experiment config
``network.npz``   weights ``w__<projection>`` (n_synapses,), thresholds
                  ``theta__<layer>`` (n_neurons,, volt), ``assignments`` of the labelled
                  layer (n_neurons,), audio scaling ``scale_low``/``scale_high``
``model.json``    classes, dataset, split ids, topology shape, summary metrics

It is written into a temporary directory and renamed into place, so an
interrupted write leaves no half-written model; an existing model is never
overwritten.  A run directory is created fresh (a numeric suffix is added if
the name exists) and holds ``config.toml``, ``split.json``, ``metrics.json``,
``log.txt`` and figures.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config as config_mod
from .errors import DataError
from .fileio import atomic_directory, write_json, write_npz, write_text
from .paths import models_home, runs_home

MODEL_FILES = ("config.toml", "network.npz", "model.json")
NETWORK_ARRAYS = ("assignments", "scale_low", "scale_high")


@dataclass
class Model:
    """A trained network as stored on disk."""

    config: config_mod.ExperimentConfig
    arrays: dict
    info: dict
    path: Path | None = None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "model"


def unique_dir(parent: Path, name: str) -> Path:
    """``parent/name``, or ``parent/name-2``, ``-3``... whichever does not exist yet."""
    path, k = parent / name, 2
    while path.exists():
        path, k = parent / f"{name}-{k}", k + 1
    return path


def save_model(model: Model, name: str, home: Path | None = None) -> Path:
    """Write ``model`` to ``<home>/<name>/`` atomically (a new name if it exists)."""
    missing = [k for k in NETWORK_ARRAYS if k not in model.arrays]
    if not any(k.startswith("w__") for k in model.arrays):
        missing.append("w__<projection>")
    if missing:
        raise ValueError(f"model arrays missing: {missing}")
    target = unique_dir(Path(home) if home else models_home(), _safe(name))
    with atomic_directory(target) as tmp:
        write_text(tmp / "config.toml", config_mod.to_toml(model.config))
        write_npz(tmp / "network.npz", **{k: np.asarray(v) for k, v in model.arrays.items()})
        write_json(tmp / "model.json", model.info)
    return target


def load_model(path: str | Path) -> Model:
    """Read a model directory; one-line :class:`DataError` if anything is missing or corrupt."""
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path}: not a model directory")
    for f in MODEL_FILES:
        if not (path / f).is_file():
            raise DataError(f"{path}: missing {f} (not a stdp_emo model directory?)")
    cfg = _load_model_config(path / "config.toml")
    try:
        with np.load(path / "network.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as e:  # zipfile.BadZipFile, ValueError, OSError
        raise DataError(f"{path / 'network.npz'}: unreadable ({e})") from None
    try:
        info = json.loads((path / "model.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"{path / 'model.json'}: unreadable ({e})") from None
    if "w" in arrays and "theta" in arrays:        # single-modality layout of version 0.1
        m = info.get("modality", cfg.train.modality)
        arrays[f"w__{m}_input_to_{m}_exc"] = arrays.pop("w")
        arrays[f"theta__{m}"] = arrays.pop("theta")
    missing = [k for k in NETWORK_ARRAYS if k not in arrays]
    if not any(k.startswith("w__") for k in arrays):
        missing.append("w__<projection>")
    if missing:
        raise DataError(f"{path / 'network.npz'}: missing arrays {', '.join(missing)}")
    return Model(cfg, arrays, info, path)


def _load_model_config(path: Path) -> config_mod.ExperimentConfig:
    """A model's resolved config; models written before the population code used the image code.

    Every model's ``config.toml`` lists every field of its version, so a model whose
    ``[encoding]`` has no ``audio_code`` predates the choice and was trained on the
    feature image (today's default is the population code).
    """
    import tomllib

    cfg = config_mod.load(path)           # one-line ConfigError on a bad file
    d = tomllib.loads(path.read_text(encoding="utf-8"))
    if "audio_code" not in d.get("encoding", {}):
        cfg = cfg.replace(encoding={"audio_code": "image"}, train={"vote": "mean"})
    return cfg


class RunRecord:
    """An experiment record directory ``runs/<dataset>/<YYYYmmdd-HHMMSS>_<tag>/``.

    Creating one makes the directory (never reusing an existing one) and
    attaches a log file handler writing ``log.txt``.
    """

    def __init__(self, dataset: str, tag: str, home: Path | None = None):
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        parent = (Path(home) if home else runs_home()) / _safe(dataset)
        self.path = unique_dir(parent, f"{stamp}_{_safe(tag)}")
        self.path.mkdir(parents=True)
        self._attach()

    @classmethod
    def reopen(cls, path: str | Path) -> "RunRecord":
        """An existing run directory (to resume it); the log is appended to."""
        self = cls.__new__(cls)
        self.path = Path(path)
        self._attach()
        return self

    def _attach(self) -> None:
        self._handler = logging.FileHandler(self.path / "log.txt", encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger("stdp_emo").addHandler(self._handler)
        logging.getLogger("stdp_emo").setLevel(logging.INFO)

    def write_json(self, name: str, obj) -> Path:
        return write_json(self.path / name, obj)

    def write_text(self, name: str, text: str) -> Path:
        return write_text(self.path / name, text)

    def close(self) -> None:
        logging.getLogger("stdp_emo").removeHandler(self._handler)
        self._handler.close()
