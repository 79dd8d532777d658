"""A trained network: :class:`TrainedModel`, and the ``models/<name>/`` layout it owns.

A model directory holds plain files only, never pickles:

``config.toml``   the resolved experiment config
``network.npz``   weights ``w__<projection>`` (n_synapses,), thresholds ``theta__<layer>``
                  (n_neurons,, volt), ``assignments`` and ``vote_weights`` of the voting
                  neurons (n_voting,: the layers of ``[train] vote_layers``), the encoding fitted on the training split (audio
                  ``scale_low``/``scale_high``/``code_mean``/``code_sd``, action-unit
                  ``au_scale``/``au_mean``/``au_sd``)
``model.json``    ``schema``, classes, input shapes, layer sizes (``n_neurons`` of the
                  read-out layer, ``n_voting``), split ids, fallback class, provenance

It is written into a temporary directory and renamed into place, so an interrupted
write leaves no half-written model; an existing model is never overwritten.  Loading
checks the three files against each other before anything is compiled.

The network's structure is never stored: it is rebuilt by
:func:`~stdp_emo.network.composition.composition_for` from the config and the stored
input shapes, the same function training uses, so views reshape weights from
:attr:`TrainedModel.composition` rather than guessing.

numpy only at import; :meth:`TrainedModel.predict`, :meth:`~TrainedModel.evaluate` and
:meth:`~TrainedModel.record` run the frozen network (Brian2, imported then).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from . import __version__
from . import config as config_mod
from .errors import ConfigError, DataError
from .fileio import atomic_directory, npz_problem, write_json, write_npz, write_text
from .network.composition import Composition, composition_for, modalities
from .network.state import NetworkState, theta_key, weight_key
from .paths import models_home, resolve_recorded

SCHEMA = 2
"""Version of the ``models/<name>/`` layout written here (``model.json["schema"]``).
1: models written before the key existed (read, and converted on load)."""

MODEL_FILES = ("config.toml", "network.npz", "model.json")
CONFIG, NETWORK, INFO = MODEL_FILES
AUDIO_ENCODING = ("scale_low", "scale_high", "code_mean", "code_sd",
                  "subspace_mean", "subspace_sd", "subspace_basis")
"""Arrays of the fitted audio encoding (:meth:`stdp_emo.encoding.AudioEncoder.to_arrays`)."""
AU_SCALE = "au_scale"
AU_ENCODING = (AU_SCALE, "au_mean", "au_sd")     # AUEncoder.to_arrays (mean/sd: contrast code)
_LABEL_ARRAYS = ("assignments", "vote_weights")


@dataclass
class Split:
    """Clip ids a model was trained (and labelled) on and tested on."""

    train_ids: list[str]
    test_ids: list[str]


@dataclass
class TrainedModel:
    """Everything a trained network is: what was learnt, on what, and how to feed it.

    Attributes
    ----------
    config : ExperimentConfig
        The resolved config it was trained with.
    input_shapes : dict
        Modality -> input shape (C, H, W) the network was built for.
    state : NetworkState
        Learnt weights (per projection) and adaptive thresholds (per layer, volt).
    assignments : ndarray, shape (n_neurons,)
        Class index of every labelled-layer neuron (-1: never fired when labelling).
    classes : list of str
        Class names, in label order.
    split : Split
    vote_weights : ndarray, shape (n_neurons,), optional
        Per-neuron vote weights (None: a model from before votes, the DC15 mean vote).
    encoding : dict
        Arrays of the encoding fitted on the training split (see :data:`AUDIO_ENCODING`,
        :data:`AU_ENCODING`).
    fallback_class : int
        Class predicted for a sample none of whose labelled neurons fired.
    provenance : dict
        Where it came from: ``dataset``, ``dataset_root``, ``run_dir``, ``accuracy``
        (test split), ``stdp_emo_version``.
    path : Path, optional
        The model directory, once saved or loaded.
    """

    config: config_mod.ExperimentConfig
    input_shapes: dict
    state: NetworkState
    assignments: np.ndarray
    classes: list
    split: Split
    vote_weights: np.ndarray | None = None
    encoding: dict = field(default_factory=dict)
    fallback_class: int = 0
    provenance: dict = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self):
        self.input_shapes = {m: tuple(int(v) for v in s) for m, s in self.input_shapes.items()}
        self.assignments = np.asarray(self.assignments, dtype=np.int64)
        if self.vote_weights is not None:
            self.vote_weights = np.asarray(self.vote_weights, dtype=np.float64)
        self.classes = [str(c) for c in self.classes]

    # ------------------------------------------------------------------ structure
    @cached_property
    def composition(self) -> Composition:
        """The network: groups, projections and their connectivity (rebuilt, never stored)."""
        return composition_for(self.config, self.input_shapes)

    @property
    def mode(self) -> str:
        """``audio``, ``visual``, ``early_fusion`` or ``crossmodal``."""
        return self.config.train.modality

    @property
    def readout(self) -> str:
        """Name of the labelled layer."""
        return self.composition.readout

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "(unsaved model)"

    def weights(self, projection: str) -> np.ndarray:
        """Weights of ``projection`` (a name of :attr:`composition`), shape (n_synapses,)."""
        try:
            return self.state.weights[projection]
        except KeyError:
            raise DataError(f"{self.path or 'model'}: no projection {projection!r} (has "
                            f"{', '.join(self.state.weights)})") from None

    def receptive_fields(self, modality: str | None = None) -> tuple[np.ndarray, tuple, str]:
        """Weights from an input to its first layer, one receptive field per neuron.

        Parameters
        ----------
        modality : {"audio", "visual"}, optional
            Default: the labelled modality (audio in multimodal modes).

        Returns
        -------
        weights : ndarray, shape (n_neurons, fan_in)
            Row ``k``: neuron ``k``'s weights in window order (C, wh, ww), C-major.
        window_shape : (C, wh, ww)
            The window (the whole input for a fully connected layer).
        layer : str
            The layer the weights lead into.
        """
        comp = self.composition
        modality = modality or modalities(self.mode)[0]
        proj = next((p for p in comp.projections if p.source == f"{modality}_input"), None)
        if proj is None:
            raise DataError(f"{self.path or 'model'}: no {modality} input in a {self.mode} network")
        n_post = comp.layer(proj.target).n_neurons
        fan_in, rem = divmod(proj.n_synapses, n_post)
        topo = comp.topologies[modality]
        c, h, w = topo.input_shape
        window = (c, h, w) if fan_in == c * h * w else (c, *topo.window)
        if rem or fan_in != int(np.prod(window)):
            raise DataError(f"{self.path or 'model'}: {proj.name} is not one window per neuron")
        order = np.lexsort((proj.pre, proj.post))      # by neuron, then input (= window order)
        return self.weights(proj.name)[order].reshape(n_post, fan_in), window, proj.target

    @property
    def encoder(self):
        """The fitted :class:`~stdp_emo.encoding.AudioEncoder` (None for models without audio)."""
        if "audio" not in modalities(self.mode):
            return None
        from .encoding import AudioEncoder

        return AudioEncoder.from_arrays(self.encoding, self.config.encoding)

    @property
    def au_encoder(self):
        """The fitted :class:`~stdp_emo.encoding.AUEncoder` (visual source ``"au"``), else None."""
        if AU_SCALE not in self.encoding:
            return None
        from .encoding import AUEncoder

        return AUEncoder.from_arrays(self.encoding, self.config.encoding)

    def data_config(self, root: str | Path | None = None) -> config_mod.ExperimentConfig:
        """The config with its data read from ``root`` (default: where it was trained)."""
        cfg = self.config
        if root:
            return cfg.replace(data={"root": str(root)})
        trained_at = self.provenance.get("dataset_root")
        if not cfg.data.root and trained_at and cfg.data.dataset != "synthetic":
            return cfg.replace(data={"root": trained_at})
        return cfg

    @property
    def metrics(self) -> dict | None:
        """``metrics.json`` of the training run, if its record is still there."""
        run = self.provenance.get("run_dir")
        if run and self.path is not None:
            run = resolve_recorded(run, self.path)
        path = Path(run) / "metrics.json" if run else None
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # ------------------------------------------------------------------ use
    def predict(self, paths, progress: bool = False) -> list:
        """Classify audio files or folders (see :func:`stdp_emo.inference.predict_files`)."""
        from .inference import predict_files

        return predict_files(self, paths, progress=progress)

    def evaluate(self, root: str | Path | None = None, *, dataset: str | None = None,
                 all_clips: bool = False, progress: bool = False,
                 runs_home: Path | None = None, workers: int | None = None,
                 client=None) -> dict:
        """Score the frozen network and write a run record.

        Default: the stored test split (data from ``root``, or where it was trained).
        ``all_clips`` (or a ``dataset`` loader name): every clip of the folder ``root``
        (new speakers, another corpus), see :func:`stdp_emo.inference.evaluate_all`.

        Returns
        -------
        dict with ``metrics``, ``run_dir``, ``predictions``.
        """
        if all_clips or dataset:
            from .inference import evaluate_all

            if root is None:
                raise DataError("evaluate: every clip of a folder needs its root")
            return evaluate_all(self, root, dataset=dataset, progress=progress,
                                runs_home=runs_home)
        from .frozen import evaluate_model

        return evaluate_model(self, root, progress=progress, runs_home=runs_home,
                              workers=workers, client=client)

    def record(self, sample_id: str, root: str | Path | None = None,
               trace_neurons: int = 0) -> dict:
        """Spikes of every group for one sample (see :func:`stdp_emo.frozen.record_sample`)."""
        from .frozen import record_sample

        return record_sample(self, sample_id, root, trace_neurons=trace_neurons)

    # ------------------------------------------------------------------ files
    def to_arrays(self) -> dict:
        """The arrays of ``network.npz``."""
        out = {**self.state.to_arrays(), "assignments": self.assignments}
        if self.vote_weights is not None:
            out["vote_weights"] = self.vote_weights
        out.update({k: np.asarray(v) for k, v in self.encoding.items()})
        return out

    def to_info(self) -> dict:
        """The content of ``model.json``."""
        comp = self.composition
        first = modalities(self.mode)[0]
        return {"schema": SCHEMA, "classes": list(self.classes),
                "dataset": self.provenance.get("dataset", self.config.data.dataset),
                "dataset_root": self.provenance.get("dataset_root", ""),
                "modality": self.mode, "readout": comp.readout,
                "vote_layers": list(comp.vote_layers),
                "input_shape": list(self.input_shapes.get(first, ())),
                "input_shapes": {m: list(s) for m, s in self.input_shapes.items()},
                "n_neurons": comp.layer(comp.readout).n_neurons,
                "n_voting": comp.n_voting,
                "layers": {layer.name: layer.n_neurons for layer in comp.layers},
                "split": {"train_ids": list(self.split.train_ids),
                          "test_ids": list(self.split.test_ids)},
                "fallback_class": int(self.fallback_class),
                **{k: v for k, v in self.provenance.items() if k not in _INFO_KEYS},
                "stdp_emo_version": self.provenance.get("stdp_emo_version", __version__)}

    def save(self, name: str | None = None, home: Path | None = None) -> Path:
        """Write ``<home>/<name>/`` atomically (``name-2``... if it exists); set :attr:`path`.

        ``home`` defaults to ``models/`` (``$STDP_EMO_MODELS``), ``name`` to the run's name.
        """
        self.check()
        if name is None:
            run = self.provenance.get("run_dir")
            name = Path(run).name if run else "model"
        target = unique_dir(Path(home) if home else models_home(), safe_name(name))
        with atomic_directory(target) as tmp:
            write_text(tmp / CONFIG, config_mod.to_toml(self.config))
            write_npz(tmp / NETWORK, **self.to_arrays())
            write_json(tmp / INFO, self.to_info())
        self.path = target
        return target

    @classmethod
    def load(cls, path: str | Path) -> "TrainedModel":
        """Read a model directory; one-line :class:`DataError` if anything is missing, corrupt,
        from a newer version, or inconsistent (checked before anything is compiled)."""
        path = Path(path)
        if not path.is_dir():
            raise DataError(f"{path}: not a model directory")
        for f in MODEL_FILES:
            if not (path / f).is_file():
                raise DataError(f"{path}: missing {f} (not a stdp_emo model directory?)")
        cfg = _load_config(path / CONFIG)
        try:
            with np.load(path / NETWORK, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except Exception as e:  # zipfile.BadZipFile, ValueError, OSError
            raise DataError(f"{path / NETWORK}: unreadable ({npz_problem(e)})") from None
        try:
            info = json.loads((path / INFO).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise DataError(f"{path / INFO}: unreadable ({e})") from None
        info, arrays = _upgrade(info, arrays, cfg, path)
        _check_files(info, arrays, path)
        model = cls(cfg, info["input_shapes"], NetworkState.from_arrays(arrays),
                    arrays["assignments"], info["classes"],
                    Split(list(info["split"]["train_ids"]), list(info["split"]["test_ids"])),
                    vote_weights=arrays.get("vote_weights"),
                    encoding={k: arrays[k] for k in (*AUDIO_ENCODING, *AU_ENCODING) if k in arrays},
                    fallback_class=int(info.get("fallback_class", 0)),
                    provenance={k: v for k, v in info.items() if k not in _INFO_KEYS},
                    path=path)
        model.check()
        return model

    def check(self) -> None:
        """The parts agree: the network of :attr:`config` and :attr:`input_shapes` has exactly
        these weights, thresholds, assignments and vote weights; the audio scaling has one entry
        per coefficient; everything is finite.  One-line :class:`DataError` naming the file."""
        where = self.path or Path("model")
        npz, toml = where / NETWORK, where / CONFIG
        for k, v in self.to_arrays().items():
            if not np.issubdtype(np.asarray(v).dtype, np.number):
                raise DataError(f"{npz}: array {k!r} is not numeric")
            if not np.all(np.isfinite(v)):
                raise DataError(f"{npz}: array {k!r} has non-finite values (NaN or inf)")
        comp = self.composition                   # ConfigError if the shapes do not fit

        def size(key: str, values, want: int, what: str) -> None:
            if values is None:
                raise DataError(f"{npz}: missing array {key!r} ({what})")
            got = np.asarray(values).shape[0] if np.ndim(values) else 1
            if got != want:
                raise DataError(f"{npz}: {key!r} has {got} entries, but the network of {toml} "
                                f"has {want} {what} (a file from another model?)")

        for p in comp.projections:
            size(weight_key(p.name), self.state.weights.get(p.name), p.n_synapses, "synapses")
        for layer in comp.layers:
            size(theta_key(layer.name), self.state.theta.get(layer.name), layer.n_neurons,
                 "neurons")
        n_read, voters = comp.n_voting, "+".join(comp.vote_layers)
        size("assignments", self.assignments, n_read, f"{voters} neurons")
        if self.vote_weights is not None:
            size("vote_weights", self.vote_weights, n_read, f"{voters} neurons")
        if "audio" in modalities(self.mode):
            from .encoding import audio_input_shape
            from .features.audio import n_coefficients, n_frames

            cfg = self.config
            n_coeff = n_coefficients(cfg.audio)
            want = audio_input_shape(cfg.encoding, n_coeff, n_frames(cfg.audio))
            shape = tuple(self.input_shapes.get("audio", want))
            if shape != want:
                raise DataError(f"{toml}: its [audio] / [encoding] give an audio input of shape "
                                f"{want}, but the network was trained on {shape}")
            for k in ("scale_low", "scale_high"):
                size(k, self.encoding.get(k), n_coeff, f"{cfg.audio.kind} coefficients")
            dims = cfg.audio.speaker_subspace_dims
            if dims:
                for k in ("subspace_mean", "subspace_sd"):
                    size(k, self.encoding.get(k), n_coeff, f"{cfg.audio.kind} coefficients")
                basis = self.encoding.get("subspace_basis")
                size("subspace_basis", basis, n_coeff, f"{cfg.audio.kind} coefficients")
                if np.ndim(basis) != 2 or np.shape(basis)[1] != dims:
                    raise DataError(f"{npz}: 'subspace_basis' has shape {np.shape(basis)}, but "
                                    f"{toml} asks for {dims} speaker_subspace_dims")
            elif "subspace_basis" in self.encoding:
                raise DataError(f"{toml}: speaker_subspace_dims is 0, but the network was "
                                "trained with a speaker subspace (subspace_basis)")


#: model.json keys that are fields of TrainedModel (the rest is provenance), and derived ones
_INFO_KEYS = {"schema", "classes", "modality", "readout", "vote_layers", "input_shape",
              "input_shapes", "n_neurons", "n_voting", "layers", "split", "fallback_class"}


def as_model(model) -> TrainedModel:
    """``model`` itself, or the :class:`TrainedModel` loaded from the directory ``model``."""
    return model if isinstance(model, TrainedModel) else TrainedModel.load(model)


def safe_name(name: str) -> str:
    """A file-name-safe form of ``name``: letters (any script), digits, ``_.-`` kept."""
    return re.sub(r"[^\w.-]+", "-", name).strip("-.") or "model"


def unique_dir(parent: Path, name: str) -> Path:
    """``parent/name``, or ``parent/name-2``, ``-3``... whichever does not exist yet."""
    path, k = parent / name, 2
    while path.exists():
        path, k = parent / f"{name}-{k}", k + 1
    return path


def _upgrade(info, arrays: dict, cfg, path: Path) -> tuple[dict, dict]:
    """``model.json`` and arrays of an older schema in today's form, or a one-line error."""
    info_file = path / INFO
    if not isinstance(info, dict):
        raise DataError(f"{info_file}: expected a JSON object")
    schema = info.get("schema", 1)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise DataError(f"{info_file}: malformed 'schema' {schema!r}")
    if schema > SCHEMA:
        raise DataError(f"{info_file}: model schema {schema}, written by a newer stdp_emo "
                        f"({info.get('stdp_emo_version', '?')}); this version "
                        f"({__version__}) reads schemas 1 to {SCHEMA}")
    if schema == 1:
        info = dict(info)
        if "input_shapes" not in info and "input_shape" in info:
            # single-modality models of version 0.1 stored one input shape
            info["input_shapes"] = {info.get("modality", cfg.train.modality): info["input_shape"]}
        if "w" in arrays and "theta" in arrays:        # single-modality layout of version 0.1
            m = info.get("modality", cfg.train.modality)
            arrays = dict(arrays)
            arrays[weight_key(f"{m}_input_to_{m}_exc")] = arrays.pop("w")
            arrays[theta_key(m)] = arrays.pop("theta")
    return info, arrays


def _check_files(info: dict, arrays: dict, path: Path) -> None:
    """``model.json`` has the keys every use needs; ``network.npz`` the arrays."""
    info_file = path / INFO
    for key, kind in (("classes", list), ("split", dict), ("input_shapes", dict)):
        if not isinstance(info.get(key), kind):
            raise DataError(f"{info_file}: missing or malformed {key!r} (not a stdp_emo model, "
                            "or damaged)")
    if not all(isinstance(info["split"].get(k), list) for k in ("train_ids", "test_ids")):
        raise DataError(f"{info_file}: 'split' needs 'train_ids' and 'test_ids' lists")
    missing = [k for k in ("assignments", "scale_low", "scale_high") if k not in arrays]
    if not any(k.startswith(weight_key("")) for k in arrays):
        missing.append(weight_key("<projection>"))
    if missing:
        raise DataError(f"{path / NETWORK}: missing arrays {', '.join(missing)}")


#: a fan-in no layer reaches: all-to-all (models from before ``fusion_visual_fan_in``)
ALL_TO_ALL = 2 ** 31 - 1


def _load_config(path: Path) -> config_mod.ExperimentConfig:
    """A model's resolved config; models written before the population code used the image code.

    Every model's ``config.toml`` lists every field of its version, so a model whose
    ``[encoding]`` has no ``audio_code`` predates the choice and was trained on the
    feature image (today's default is the population code), one whose ``[train]``
    has no ``vote_layers`` labelled its readout layer only, one with no ``layer_vote``
    pooled its voting layers, one with ``[network] cross_p_connect`` (before
    ``cross_fan_in``) is rebuilt with the fan-in that gives the same connections, and one
    with no ``fusion_visual_fan_in`` had an all-to-all multimodal layer.
    """
    import tomllib

    try:
        d = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: unreadable config ({e})") from None
    net = d.get("network", {})
    if isinstance(net, dict) and "cross_p_connect" in net:
        net["cross_fan_in"] = _fan_in_for(net.pop("cross_p_connect"), d, path)
    if isinstance(net, dict) and net and "fusion_visual_fan_in" not in net:
        net["fusion_visual_fan_in"] = ALL_TO_ALL
    cfg = config_mod.from_dict(d, source=str(path))      # one-line ConfigError on a bad file
    if "audio_code" not in d.get("encoding", {}):
        cfg = cfg.replace(encoding={"audio_code": "image"}, train={"vote": "mean"})
    if "vote_layers" not in d.get("train", {}):
        # before the choice only the labelled layer voted (today's default: every layer)
        cfg = cfg.replace(train={"vote_layers": "readout"})
    if "layer_vote" not in d.get("train", {}):
        cfg = cfg.replace(train={"layer_vote": "pooled"})
    return cfg


def _fan_in_for(p_connect, d: dict, path: Path) -> int:
    """``cross_fan_in`` that rebuilds a model trained with ``cross_p_connect`` (same pattern:
    the connection probability ``min(1, fan_in / visual neurons)`` must equal it)."""
    if d.get("train", {}).get("modality") != "crossmodal":
        return int(config_mod.NetworkConfig().cross_fan_in)     # no visual -> audio synapses
    try:
        n_vis = int(json.loads((path.parent / INFO).read_text(encoding="utf-8"))["layers"]["visual"])
    except (OSError, ValueError, KeyError, TypeError):
        raise DataError(f"{path}: cross_p_connect = {p_connect!r} needs the visual layer size "
                        f"from {INFO}, which is unreadable") from None
    if p_connect >= 1:
        return n_vis
    fan_in = round(p_connect * n_vis)
    if fan_in < 1 or fan_in / n_vis != p_connect:
        raise DataError(f"{path}: cross_p_connect = {p_connect!r} cannot be rebuilt as a fan-in "
                        f"of the {n_vis}-neuron visual layer by this version; train it again")
    return fan_in
