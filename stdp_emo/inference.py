"""Use a trained model on recordings it has never seen.

* :func:`predict_files`: the emotion (and per-class vote scores) of audio files
  or folders of them, through the frozen network of an audio model;
* :func:`evaluate_all`: score a model on *every* clip of a dataset folder (new
  speakers, another corpus in the RAVDESS or eNTERFACE'05 layout), writing the
  usual run record.

A file that cannot be read (corrupt, silent, not audio) is reported with one
line naming it and left out; the others are still classified.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import evaluation
from .config import to_toml
from .encoding import PHASE_PREDICT  # noqa: F401  (the random-stream phase of new recordings)
from .errors import DataError

log = logging.getLogger("stdp_emo.inference")


AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif", ".mp3", ".mp4", ".avi", ".m4a")
"""Files :func:`audio_files` takes from a folder (video files: their audio track)."""

#: other corpora's emotion names -> RAVDESS's (so a RAVDESS model scores eNTERFACE'05, and back)
CLASS_SYNONYMS = {"anger": "angry", "fear": "fearful", "happiness": "happy", "sadness": "sad",
                  "surprise": "surprised"}


@dataclass
class Prediction:
    """The model's answer for one file.

    Attributes
    ----------
    path : Path
    emotion : str or None
        Predicted class (None when the file could not be classified).
    scores : dict
        Class -> vote score (spike count per assigned neuron, see
        :func:`stdp_emo.evaluation.class_scores`).
    spikes : int
        Excitatory spikes of the labelled layer.
    error : str
        One line, for a file that could not be read ("" otherwise).
    """

    path: Path
    emotion: str | None = None
    scores: dict = field(default_factory=dict)
    spikes: int = 0
    error: str = ""


def audio_files(paths) -> list[Path]:
    """Files to classify: each file as given, each folder's audio files (recursively, sorted).

    Raises
    ------
    DataError
        A path does not exist, or a folder holds no audio file.
    """
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in AUDIO_SUFFIXES
                           and f.is_file())
            if not found:
                raise DataError(f"{p}: no audio files ({', '.join(AUDIO_SUFFIXES)}) in this folder")
            out.extend(found)
        elif p.exists() or p.is_symlink():
            out.append(p)
        else:
            raise DataError(f"{p}: file not found")
    return out


def _frozen_counts(model, comp, inputs: dict, progress: bool, phase: int):
    """Labelled-layer spike counts of ``inputs`` (modality -> rows) through the frozen model."""
    from .simulate import CompiledNetwork, present

    cfg = model.config
    # the training run's chunk size: its compiled frozen network is reused from the cache
    with CompiledNetwork(comp, cfg.network, cfg.encoding, learning=False,
                         chunk_size=cfg.train.chunk_size) as frozen:
        res = present(frozen, inputs, model.state, seed=cfg.train.seed, phase=phase,
                      progress=progress, desc="classifying")
    return res


def predict_files(model, paths, progress: bool = False) -> list[Prediction]:
    """Classify audio files with a trained audio model.

    Parameters
    ----------
    model : stdp_emo.model.TrainedModel
        A model of mode ``audio`` (multimodal and visual models need face
        video: use :func:`evaluate_all` on a dataset folder).
    paths : sequence of path
        Files and folders (see :func:`audio_files`).  A model trained with
        ``[audio] normalisation = "speaker"`` normalises all files of one call
        together, as the recordings of one speaker.

    Returns
    -------
    list of Prediction
        One per file, in order; unreadable files carry ``error`` and no emotion.
    """
    from .datasets.media import read_audio
    from .features.audio import extract, speaker_normalise

    cfg = model.config
    if cfg.train.modality != "audio":
        raise DataError(f"{model.path}: predict takes audio models; this one is "
                        f"{cfg.train.modality!r} (use `stdp-emo evaluate --all --root DIR` on "
                        f"a folder with the face videos)")
    files = audio_files(paths)
    preds = [Prediction(p) for p in files]
    feats, good = [], []
    for k, p in enumerate(files):
        try:
            signal = read_audio(p, cfg.audio.sample_rate_hz)      # its errors name the file
        except DataError as e:
            preds[k].error = str(e)           # reported by the caller (the CLI: one line)
            continue
        try:
            feats.append(extract(signal, cfg.audio))
        except DataError as e:                # eGeMAPS errors name only the signal
            preds[k].error = f"{p}: {e}"
            continue
        good.append(k)
    if not good:
        return preds
    x = np.stack([f for f, _ in feats])
    n_valid = np.array([n for _, n in feats])
    if cfg.audio.normalisation == "speaker":
        # the protocol needs the speaker's own clips: the files of one call are taken as one speaker
        if len(good) < 10:
            log.warning("per-speaker normalisation from only %d files; pass all of a speaker's "
                        "recordings in one call", len(good))
        x = speaker_normalise(x, n_valid, np.zeros(len(good)))
    rows = model.encoder(x, n_valid)
    res = _frozen_counts(model, model.composition, {"audio": rows}, progress, PHASE_PREDICT)
    classes = model.classes
    assignments, weights = model.assignments, model.vote_weights
    scores = evaluation.class_scores(res.counts, assignments, len(classes), weights)
    pred = evaluation.predict(res.counts, assignments, len(classes),
                              fallback=model.fallback_class, weights=weights)
    for j, k in enumerate(good):
        preds[k].emotion = classes[int(pred[j])]
        preds[k].scores = {c: float(s) for c, s in zip(classes, scores[j])}
        preds[k].spikes = int(res.counts[j].sum())
    return preds


def class_map(dataset_classes, model_classes) -> dict[int, int]:
    """Dataset class index -> model class index, by name (via :data:`CLASS_SYNONYMS`).

    Classes the model does not know are absent from the map.
    """
    model_index = {c: k for k, c in enumerate(model_classes)}
    out = {}
    for k, c in enumerate(dataset_classes):
        name = c if c in model_index else CLASS_SYNONYMS.get(c, c)
        if name in model_index:
            out[k] = model_index[name]
    return out


def evaluate_all(model, root, *, dataset: str | None = None, progress: bool = True,
                 runs_home: Path | None = None) -> dict:
    """Score a saved model on every clip of the dataset folder ``root``.

    Parameters
    ----------
    model : TrainedModel or path of a model directory
    root : path
        A folder in the layout of ``dataset`` (default: the model's dataset
        kind, e.g. RAVDESS ``Actor_XX/...``), with speakers or a corpus the
        model has never seen.
    dataset : str, optional
        Loader name (``ravdess``, ``enterface``, ``synthetic``).

    Returns
    -------
    dict with ``metrics``, ``run_dir``, ``predictions``.  Clips that cannot be
    read, or whose emotion the model does not know, are left out and listed in
    ``metrics["skipped"]`` (id -> reason).
    """
    from .datasets import load_dataset
    from .features.audio import extract_dataset
    from .frozen import evaluate_frozen, feature_name
    from .model import as_model
    from .network.composition import modalities
    from .preparation import prepare
    from .records import RunRecord

    model = as_model(model)
    kind = dataset or model.config.data.dataset
    cfg = model.config.replace(data={"dataset": kind, "root": str(root)})
    ds = load_dataset(kind, str(root), include_song=cfg.data.include_song)
    classes = model.classes
    cmap = class_map(ds.classes, classes)
    skipped = {c.id: f"emotion {ds.classes[c.label]!r} is not one of the model's classes"
               for c in ds.clips if c.label not in cmap}
    if "audio" in modalities(cfg.train.modality):
        _, _, ok_ids = extract_dataset(ds, cfg.audio, progress=progress, skip_bad=True)
        ok_ids = set(map(str, ok_ids))
        skipped.update({c.id: "unreadable audio (see log)" for c in ds.clips
                        if c.id not in ok_ids and c.id not in skipped})
    keep = [k for k, c in enumerate(ds.clips) if c.id not in skipped]
    if not keep:
        raise DataError(f"{root}: no clip of this folder can be scored by {model.path} "
                        f"({len(skipped)} skipped, e.g. {next(iter(skipped.values()), 'no clips')})")
    ds = ds.subset(keep)
    record = RunRecord(kind, "evaluate_all", home=runs_home)
    try:
        record.write_text("config.toml", to_toml(cfg))
        prep = prepare(cfg, progress=progress, dataset=ds,
                       split_ids=([], [c.id for c in ds.clips]), encoder=model.encoder,
                       au_encoder=model.au_encoder)
        for k in set(range(len(ds.clips))) - set(prep.test_idx.tolist()):
            skipped[ds.clips[k].id] = "no usable video"
        ev = evaluate_frozen(cfg, prep, model.state, progress=progress,
                             assignments=model.assignments, weights=model.vote_weights)
        counts = ev["test"].counts
        y = np.array([cmap[int(ds.clips[k].label)] for k in prep.test_idx], dtype=np.int64)
        pred = evaluation.predict(counts, ev["assignments"], len(classes),
                                  fallback=model.fallback_class,
                                  weights=ev["weights"])
        metrics = {"model_dir": str(model.path), "dataset": kind, "root": str(root),
                   "description": ds.description, "modality": cfg.train.modality,
                   "features": feature_name(cfg), "n_test": int(len(y)),
                   "unsupervised": evaluation.metrics(y, pred, classes),
                   "skipped": skipped, "testing": ev["test"].stats}
        predictions = {"test_ids": [ds.clips[k].id for k in prep.test_idx],
                       "y_true": y.tolist(), "y_pred": pred.tolist()}
        record.write_json("metrics.json", metrics)
        record.write_json("predictions.json", predictions)
        if skipped:
            log.warning("%d clips skipped (listed in metrics.json)", len(skipped))
        return {"metrics": metrics, "run_dir": record.path, "predictions": predictions}
    except BaseException as e:
        record.fail(e)
        raise
    finally:
        record.close()
