"""Data for one config: dataset, split, features and network inputs (:class:`Prepared`).

datasets -> features -> encoding, for training (the encoding is fitted on the training
split) and for a trained model (its stored split and encoding, :func:`prepare_for_model`).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from .config import ExperimentConfig
from .datasets import load_dataset
from .datasets.base import Dataset
from .datasets.splits import split
from .encoding import AudioEncoder, AUEncoder, audio_input_shape, dvs_rates
from .errors import ConfigError, DataError
from .features.audio import extract_dataset, speaker_normalise
from .features.speaker_subspace import max_dims
from .network.composition import Composition, composition_for, modalities
from .network.topology import ConvTopology

log = logging.getLogger("stdp_emo.preparation")


@dataclass
class Prepared:
    """Dataset, split and network inputs for one config.

    Attributes
    ----------
    config : ExperimentConfig
        The config of this data and network: for training, the given one with the
        layer sizes that follow the training split resolved
        (:meth:`~stdp_emo.config.ExperimentConfig.sized_for_training`).
    inputs : dict
        Modality (``"audio"``, ``"visual"``) -> input values in [0, 1], shape
        (n_clips, n_inputs).
    encoder : AudioEncoder or None
        The audio encoding fitted on the training split (None without audio).
    composition : Composition
        The network of the config's mode for these input shapes.
    """

    dataset: Dataset
    train_idx: np.ndarray
    test_idx: np.ndarray
    inputs: dict
    encoder: AudioEncoder | None
    composition: Composition
    feature_seconds: float
    modality: str = "audio"     # the mode: audio, visual, early_fusion or crossmodal
    feature_info: dict | None = None
    au_encoder: AUEncoder | None = None     # visual source "au": fitted on the training split
    config: ExperimentConfig | None = None  # the config the composition was built for

    @property
    def topology(self) -> ConvTopology:
        """Input topology of the labelled layer's modality (audio in multimodal modes)."""
        return self.composition.topologies[modalities(self.modality)[0]]


def limit_per_class(dataset: Dataset, max_per_class: int, seed: int) -> Dataset:
    """Keep at most ``max_per_class`` clips of every class (seeded choice), 0 = all."""
    if max_per_class <= 0:
        return dataset
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(dataset.labels):
        idx = np.flatnonzero(dataset.labels == c)
        keep.extend(sorted(rng.choice(idx, size=min(max_per_class, idx.size), replace=False)))
    return dataset.subset(sorted(keep))


def experiment_split(dataset: Dataset, d) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the clips to train on and to evaluate on, per ``d`` (a DataConfig).

    With ``d.holdout == "validation"`` the training part of the split is split
    again (same kind, fraction, seed + 1) and its second part is returned in place
    of the test split, which is then not used at all.
    """
    train_idx, test_idx = split(dataset, d.split, d.test_fraction, d.seed)
    if d.holdout == "validation":
        inner_train, inner_val = split(dataset.subset(train_idx), d.split, d.test_fraction,
                                       d.seed + 1)
        train_idx, test_idx = train_idx[inner_train], train_idx[inner_val]
    return train_idx, test_idx


def prepare(cfg: ExperimentConfig, progress: bool = True, dataset: Dataset | None = None,
            split_ids: tuple[list[str], list[str]] | None = None,
            encoder: AudioEncoder | None = None, au_encoder: AUEncoder | None = None) -> Prepared:
    """Load data, split, extract and scale features (scaling fitted on the training split).

    Parameters
    ----------
    split_ids : (train ids, test ids), optional
        Re-use a stored split (evaluation of a saved model) instead of drawing one;
        the layer sizes of ``cfg`` are then taken as they are (a model's config holds
        its resolved sizes).  Without it the config is sized for the drawn training
        split (``Prepared.config``).
    encoder : AudioEncoder, optional
        Re-use a stored audio encoding (scaling, code statistics) instead of fitting one.
    au_encoder : AUEncoder, optional
        Visual source ``"au"``: re-use a stored action-unit encoding.
    """
    d = cfg.data
    if dataset is None:
        dataset = load_dataset(d.dataset, d.root or None, include_song=d.include_song)
        if ("visual" in modalities(cfg.train.modality) and d.dataset == "synthetic"
                and cfg.visual.source == "dvs"
                and all(c.video_path is None for c in dataset.clips)):
            from .datasets.faces import synth_faces

            synth_faces(dataset.root, dataset.root, seed=d.seed, progress=progress)
            dataset = load_dataset(d.dataset, d.root or None, include_song=d.include_song)
        dataset = limit_per_class(dataset, d.max_per_class, d.seed)
    if split_ids is None:
        train_idx, test_idx = experiment_split(dataset, d)
    else:
        pos = {c.id: k for k, c in enumerate(dataset.clips)}
        missing = [i for i in split_ids[0] + split_ids[1] if i not in pos]
        if missing:
            raise DataError(f"{dataset.root}: {len(missing)} clips of the model's split are missing "
                            f"(e.g. {missing[0]})")
        train_idx = np.array([pos[i] for i in split_ids[0]], dtype=np.int64)
        test_idx = np.array([pos[i] for i in split_ids[1]], dtype=np.int64)
    t0 = time.perf_counter()
    mode = cfg.train.modality
    info = None
    inputs, shapes = {}, {}
    if "visual" in modalities(mode) and cfg.visual.source == "au":
        from .datasets import action_units as au

        table = au.load(cfg.visual.au_csv or au.default_path(dataset.root))
        values, usable = table.pair(c.id for c in dataset.clips)
        train_idx, test_idx = keep_usable(
            train_idx, test_idx, usable, training=split_ids is None,
            why=lambda tr, te: f"{table.path}: no action units for the clips of {dataset.root} "
                               f"(trial ids like {dataset.clips[0].id})")
        if au_encoder is None:
            au_encoder = AUEncoder.fit(values[train_idx], cfg.encoding)
        inputs["visual"] = au_encoder(values)
        shapes["visual"] = (cfg.encoding.au_copies, au_encoder.channels * len(table.columns), 1)
        info = {"source": "au", "file": str(table.path),
                "description": au.describe(int(usable.sum()), len(dataset)),
                "clips_without_au": [c.id for c, ok in zip(dataset.clips, usable) if not ok]}
        if info["clips_without_au"]:
            log.warning("%d clips have no action units in %s and are left out, e.g. %s",
                        len(info["clips_without_au"]), table.path, info["clips_without_au"][0])
    elif "visual" in modalities(mode):
        from .features.visual import extract_visual_dataset

        vis = extract_visual_dataset(dataset, cfg.visual, progress=progress)
        info = vis.summary()
        info["faces_not_found_ids"] = vis.faces_not_found
        usable = vis.ok.copy()
        if "audio" in modalities(mode):
            bad = duration_mismatches(dataset, vis.seconds)
            usable[list(bad)] = False
            if bad:
                log.warning("%d clips skipped: audio and video durations differ, e.g. %s",
                            len(bad), next(iter(bad.values())))
            info["duration_mismatch"] = {dataset.clips[k].id: m for k, m in bad.items()}
        # clips without a usable video are left out of both splits (counted in the record)
        train_idx, test_idx = keep_usable(
            train_idx, test_idx, usable, training=split_ids is None,
            why=lambda tr, te: f"{dataset.root}: no usable clips for {mode} (train {tr}, "
                               f"test {te}): {int(usable.sum())} of {len(dataset)} clips have a "
                               f"readable face video of matching length "
                               f"({len(vis.faces_not_found)} without a face found)")
        inputs["visual"] = dvs_rates(vis.counts, cfg.visual.rate_percentile)
        shapes["visual"] = vis.input_shape
    if "audio" in modalities(mode):
        feats, n_valid, ids = extract_dataset(dataset, cfg.audio, progress=progress)
        if cfg.audio.normalisation == "speaker":
            feats = speaker_normalise(feats, n_valid, dataset.actors)
        if encoder is None:
            speakers = np.asarray(dataset.actors)[train_idx]
            check_subspace(cfg.audio, feats.shape[1], len(set(speakers)), dataset.root)
            encoder = AudioEncoder.fit(feats[train_idx], n_valid[train_idx], cfg.audio, cfg.encoding,
                                       speakers=speakers)
            if encoder.subspace is not None:
                log.info("speaker subspace: %d directions removed from the %s features "
                         "(fitted on %d training speakers)", encoder.subspace.dims,
                         cfg.audio.kind, len(set(speakers)))
        inputs["audio"] = encoder(feats, n_valid)
        shapes["audio"] = audio_input_shape(cfg.encoding, feats.shape[1], feats.shape[2])
    else:
        encoder = None
    feature_seconds = time.perf_counter() - t0
    if split_ids is None:           # training: sizes that follow the split (a model keeps its own)
        cfg = cfg.sized_for_training(len(train_idx))
    return Prepared(dataset, np.asarray(train_idx), np.asarray(test_idx), inputs, encoder,
                    composition_for(cfg, shapes), feature_seconds, mode, info, au_encoder, cfg)


def check_subspace(audio, n_coeff: int, n_speakers: int, root) -> None:
    """ConfigError (one line) when ``[audio] speaker_subspace_dims`` asks for more directions
    than the training split's speakers (n - 1) or the features' coefficients span."""
    dims, most = audio.speaker_subspace_dims, max_dims(n_speakers, n_coeff)
    if dims > most:
        raise ConfigError(f"[audio] speaker_subspace_dims = {dims}: the training split of {root} "
                          f"has {n_speakers} speakers and {n_coeff} {audio.kind} coefficients, "
                          f"so at most {most} directions can be removed")


def keep_usable(train_idx, test_idx, usable: np.ndarray, *, training: bool, why):
    """The clips of both splits whose visual input is usable (``usable``, per clip).

    Raises :class:`DataError` with ``why(n_train, n_test)`` when nothing is left to test
    on, or (``training``) to train on.
    """
    train_idx = np.asarray([k for k in train_idx if usable[k]], dtype=np.int64)
    test_idx = np.asarray([k for k in test_idx if usable[k]], dtype=np.int64)
    if len(test_idx) == 0 or (training and len(train_idx) == 0):
        raise DataError(why(len(train_idx), len(test_idx)))
    return train_idx, test_idx


#: audio and video of a trial "differ" when their durations differ by more than this many
#: seconds and this fraction of the longer one (RAVDESS: the same recording, ~3-5 s each)
MAX_AV_GAP_S, MAX_AV_GAP_FRACTION = 0.5, 0.2


def duration_mismatches(dataset: Dataset, video_seconds: np.ndarray) -> dict[int, str]:
    """Clips whose audio and video durations differ (by both tolerances above).

    Parameters
    ----------
    video_seconds : ndarray, shape (n_clips,)
        Video durations (s), NaN where unknown (not compared).

    Returns
    -------
    dict
        Clip index -> one line naming both files and durations.
    """
    from .datasets.media import audio_seconds

    out = {}
    for k, clip in enumerate(dataset.clips):
        v = float(video_seconds[k])
        if (clip.audio_path is None or clip.video_path is None or not np.isfinite(v)
                or clip.audio_path == clip.video_path):
            continue
        a = audio_seconds(clip.audio_path)
        if np.isfinite(a) and abs(a - v) > max(MAX_AV_GAP_S, MAX_AV_GAP_FRACTION * max(a, v)):
            out[k] = (f"{clip.video_path}: video lasts {v:.2f} s but its audio "
                      f"{clip.audio_path.name} {a:.2f} s")
    return out


def rows(inputs: dict, idx: np.ndarray) -> dict:
    """The rows ``idx`` of every modality's inputs."""
    return {m: x[idx] for m, x in inputs.items()}


def prepare_for_model(model, root: str | None = None, progress: bool = True,
                      sample_ids: list[str] | None = None) -> tuple[ExperimentConfig, Prepared]:
    """Config and prepared data of a trained model: its own split and fitted encoding.

    Parameters
    ----------
    model : TrainedModel
    root : path, optional
        Read the data from here (default: where the model was trained).
    sample_ids : list of str, optional
        Prepare only these clips (as the test split), e.g. one sample for a raster.
    """
    cfg = model.data_config(root)
    dataset = load_dataset(cfg.data.dataset, cfg.data.root or None,
                           include_song=cfg.data.include_song)
    split_ids = (model.split.train_ids, model.split.test_ids)
    if sample_ids is not None:
        keep = [k for k, c in enumerate(dataset.clips) if c.id in set(sample_ids)]
        if len(keep) != len(set(sample_ids)):
            raise DataError(f"{dataset.root}: sample(s) not found: "
                            f"{sorted(set(sample_ids) - {dataset.clips[k].id for k in keep})}")
        dataset, split_ids = dataset.subset(keep), ([], list(sample_ids))
    prep = prepare(cfg, progress=progress, dataset=dataset, split_ids=split_ids,
                   encoder=model.encoder, au_encoder=model.au_encoder)
    return cfg, prep
