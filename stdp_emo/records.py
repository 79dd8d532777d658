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
``log.txt``, figures, and ``status.json``: ``{"status": "complete"}``, or
``"failed"`` / ``"interrupted"`` with the one-line ``error`` (also in ``log.txt``).
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
from .errors import DataError, StdpEmoError
from .fileio import (atomic_directory, make_dir, npz_problem, write_json, write_npz, write_text,
                     writing)
from .paths import models_home, runs_home

MODEL_FILES = ("config.toml", "network.npz", "model.json")
STATUS = "status.json"
NETWORK_ARRAYS = ("assignments", "scale_low", "scale_high")


@dataclass
class Model:
    """A trained network as stored on disk."""

    config: config_mod.ExperimentConfig
    arrays: dict
    info: dict
    path: Path | None = None


def _safe(name: str) -> str:
    """A file-name-safe form of ``name``: letters (any script), digits, ``_.-`` kept."""
    return re.sub(r"[^\w.-]+", "-", name).strip("-.") or "model"


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
        raise DataError(f"{path / 'network.npz'}: unreadable ({npz_problem(e)})") from None
    try:
        info = json.loads((path / "model.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"{path / 'model.json'}: unreadable ({e})") from None
    if isinstance(info, dict) and "input_shapes" not in info and "input_shape" in info:
        # single-modality models of version 0.1 stored one input shape
        info["input_shapes"] = {info.get("modality", cfg.train.modality): info["input_shape"]}
    if "w" in arrays and "theta" in arrays:        # single-modality layout of version 0.1
        m = info.get("modality", cfg.train.modality)
        arrays[f"w__{m}_input_to_{m}_exc"] = arrays.pop("w")
        arrays[f"theta__{m}"] = arrays.pop("theta")
    missing = [k for k in NETWORK_ARRAYS if k not in arrays]
    if not any(k.startswith("w__") for k in arrays):
        missing.append("w__<projection>")
    if missing:
        raise DataError(f"{path / 'network.npz'}: missing arrays {', '.join(missing)}")
    check_model(cfg, arrays, info, path)
    return Model(cfg, arrays, info, path)


def check_model(cfg: config_mod.ExperimentConfig, arrays: dict, info: dict, path: Path) -> None:
    """A model's three files agree with each other, before anything is compiled.

    ``model.json`` has the keys every use needs; every array is numeric and finite; the
    network its config and stored input shapes describe has exactly the stored weights,
    thresholds, assignments and vote weights; the audio scaling has one entry per feature
    coefficient of the config.  Anything else is a one-line :class:`DataError` naming the
    file and what is wrong.
    """
    from .network.composition import composition_for, modalities

    info_file, npz, toml = path / "model.json", path / "network.npz", path / "config.toml"
    if not isinstance(info, dict):
        raise DataError(f"{info_file}: expected a JSON object")
    for key, kind in (("classes", list), ("split", dict), ("input_shapes", dict)):
        if not isinstance(info.get(key), kind):
            raise DataError(f"{info_file}: missing or malformed {key!r} (not a stdp_emo model, "
                            "or damaged)")
    if not all(isinstance(info["split"].get(k), list) for k in ("train_ids", "test_ids")):
        raise DataError(f"{info_file}: 'split' needs 'train_ids' and 'test_ids' lists")
    for k, v in arrays.items():
        if not np.issubdtype(np.asarray(v).dtype, np.number):
            raise DataError(f"{npz}: array {k!r} is not numeric")
        if not np.all(np.isfinite(v)):
            raise DataError(f"{npz}: array {k!r} has non-finite values (NaN or inf)")
    comp = composition_for(cfg, info["input_shapes"])       # ConfigError if they do not fit

    def size(key: str, want: int, what: str) -> None:
        if key not in arrays:
            raise DataError(f"{npz}: missing array {key!r} ({what})")
        got = np.asarray(arrays[key]).shape[0] if np.ndim(arrays[key]) else 1
        if got != want:
            raise DataError(f"{npz}: {key!r} has {got} entries, but the network of {toml} "
                            f"has {want} {what} (a file from another model?)")

    for p in comp.projections:
        size(f"w__{p.name}", p.n_synapses, "synapses")
    for layer in comp.layers:
        size(f"theta__{layer.name}", layer.n_neurons, "neurons")
    n_read = comp.layer(comp.readout).n_neurons
    size("assignments", n_read, f"{comp.readout} neurons")
    if "vote_weights" in arrays:
        size("vote_weights", n_read, f"{comp.readout} neurons")
    if "audio" in modalities(cfg.train.modality):
        from .encoding import audio_input_shape

        n_coeff = cfg.audio.n_mfcc if cfg.audio.kind == "mfcc" else cfg.audio.n_mels
        want = audio_input_shape(cfg.encoding, n_coeff, cfg.audio.n_frames)
        shape = tuple(info["input_shapes"].get("audio", want))
        if shape != want:
            raise DataError(f"{toml}: its [audio] / [encoding] give an audio input of shape "
                            f"{want}, but the network was trained on {shape}")
        size("scale_low", n_coeff, f"{cfg.audio.kind} coefficients")
        size("scale_high", n_coeff, f"{cfg.audio.kind} coefficients")


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
        make_dir(self.path, exist_ok=False)
        self._attach()

    @classmethod
    def reopen(cls, path: str | Path) -> "RunRecord":
        """An existing run directory (to resume it); the log is appended to."""
        self = cls.__new__(cls)
        self.path = Path(path)
        self._attach()
        return self

    def _attach(self) -> None:
        with writing(self.path):
            self._handler = logging.FileHandler(self.path / "log.txt", encoding="utf-8")
        self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger("stdp_emo").addHandler(self._handler)
        logging.getLogger("stdp_emo").setLevel(logging.INFO)

    def write_json(self, name: str, obj) -> Path:
        return write_json(self.path / name, obj)

    def write_text(self, name: str, text: str) -> Path:
        return write_text(self.path / name, text)

    def fail(self, exc: BaseException) -> None:
        """Record that the run stopped on ``exc``: its one-line error goes into ``log.txt``
        and, when the record is closed, ``status.json`` says ``failed`` (``interrupted``
        for Ctrl-C / SIGTERM)."""
        msg = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, KeyboardInterrupt):
            self._status = {"status": "interrupted", "error": msg or "interrupted"}
        else:
            self._status = {"status": "failed", "error": f"{type(exc).__name__}: {msg}"
                            if not isinstance(exc, StdpEmoError) else msg}
        logging.getLogger("stdp_emo").error("run %s: %s", self._status["status"],
                                            self._status["error"])

    def close(self) -> None:
        """Write ``status.json`` (``complete`` unless :meth:`fail` was called) and detach the log.

        A status that cannot be written (full disk, read-only folder) is logged, not raised:
        the error that ended the run is the one to report."""
        status = getattr(self, "_status", None) or {"status": "complete"}
        try:
            write_json(self.path / STATUS, status)
        except StdpEmoError as e:
            logging.getLogger("stdp_emo").warning("%s", e)
        logging.getLogger("stdp_emo").removeHandler(self._handler)
        self._handler.close()
