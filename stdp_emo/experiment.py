"""Train and evaluate a network: the whole pipeline for one configuration.

datasets -> features -> encoding -> network/simulate -> evaluation -> records.

Protocol (DC15, MBY19):

1. split the dataset (stratified random 80/20, or speaker-independent);
2. compute features, fit the [0, 1] scaling on the training split only;
3. present the training split ``epochs`` times with STDP and adaptive
   thresholds on (order shuffled every epoch);
4. freeze the network, present the training split again and give every
   excitatory neuron the class it responds to most on average (labelling);
5. present the test split and predict the class whose neurons respond most;
6. also fit a *supervised* linear read-out on the same spike counts, reported
   separately.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__, evaluation
from .config import ExperimentConfig, to_toml
from .datasets import load_dataset
from .datasets.base import Dataset
from .datasets.splits import describe_split, split
from .checkpoints import CHECKPOINT, RUN_INFO, keep_trained, load_checkpoint, save_checkpoint
from .errors import WriteError
from .encoding import AudioEncoder, audio_input_shape, expected_input_spikes
from .features.audio import extract_dataset, speaker_normalise
from .network.composition import Composition, composition_for, modalities
from .network.topology import ConvTopology
from .records import Model, RunRecord, save_model

log = logging.getLogger("stdp_emo.experiment")

PHASE_LABEL = 1_000_000
PHASE_TEST = 1_000_001


@dataclass
class Prepared:
    """Dataset, split and network inputs for one config.

    Attributes
    ----------
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
    au_scale: np.ndarray | None = None     # visual source "au": per-column scale (training split)

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
            encoder: AudioEncoder | None = None, au_scale: np.ndarray | None = None) -> Prepared:
    """Load data, split, extract and scale features (scaling fitted on the training split).

    Parameters
    ----------
    split_ids : (train ids, test ids), optional
        Re-use a stored split (evaluation of a saved model) instead of drawing one.
    encoder : AudioEncoder, optional
        Re-use a stored audio encoding (scaling, code statistics) instead of fitting one.
    au_scale : ndarray, optional
        Visual source ``"au"``: re-use a stored action-unit scale.
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
            from .errors import DataError
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
        from .encoding import au_rates
        from .encoding import au_scale as fit_au_scale

        table = au.load(cfg.visual.au_csv or au.default_path(dataset.root))
        values, usable = table.pair(c.id for c in dataset.clips)
        train_idx, test_idx = keep_usable(
            train_idx, test_idx, usable, training=split_ids is None,
            why=lambda tr, te: f"{table.path}: no action units for the clips of {dataset.root} "
                               f"(trial ids like {dataset.clips[0].id})")
        if au_scale is None:
            au_scale = fit_au_scale(values[train_idx])
        inputs["visual"] = au_rates(values, au_scale, cfg.encoding.au_copies)
        shapes["visual"] = (cfg.encoding.au_copies, len(table.columns), 1)
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
        inputs["visual"] = vis.inputs
        shapes["visual"] = vis.input_shape
    if "audio" in modalities(mode):
        feats, n_valid, ids = extract_dataset(dataset, cfg.audio, progress=progress)
        if cfg.audio.normalisation == "speaker":
            feats = speaker_normalise(feats, n_valid, dataset.actors)
        if encoder is None:
            encoder = AudioEncoder.fit(feats[train_idx], n_valid[train_idx], cfg.audio, cfg.encoding)
        inputs["audio"] = encoder(feats, n_valid)
        shapes["audio"] = audio_input_shape(cfg.encoding, feats.shape[1], feats.shape[2])
    else:
        encoder = None
    feature_seconds = time.perf_counter() - t0
    return Prepared(dataset, np.asarray(train_idx), np.asarray(test_idx), inputs, encoder,
                    composition_for(cfg, shapes), feature_seconds, mode, info, au_scale)


def keep_usable(train_idx, test_idx, usable: np.ndarray, *, training: bool, why):
    """The clips of both splits whose visual input is usable (``usable``, per clip).

    Raises :class:`DataError` with ``why(n_train, n_test)`` when nothing is left to test
    on, or (``training``) to train on.
    """
    train_idx = np.asarray([k for k in train_idx if usable[k]], dtype=np.int64)
    test_idx = np.asarray([k for k in test_idx if usable[k]], dtype=np.int64)
    if len(test_idx) == 0 or (training and len(train_idx) == 0):
        from .errors import DataError
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


def eval_workers(cfg: ExperimentConfig, n_samples: int) -> int:
    """Processes for frozen presentations: ``train.eval_workers``, or (0) automatic:
    every core (at most 2) when there are at least four chunks of samples."""
    if cfg.train.eval_workers > 0:
        return cfg.train.eval_workers
    return min(2, os.cpu_count() or 1) if n_samples >= 4 * cfg.train.chunk_size else 1


def evaluate_frozen(cfg: ExperimentConfig, prep: Prepared, state, *, progress: bool = True,
                    assignments: np.ndarray | None = None, weights: np.ndarray | None = None,
                    inputs: dict | None = None, workers: int | None = None, client=None):
    """Labelling (unless ``assignments`` given) and test presentations of a frozen network.

    Parameters
    ----------
    inputs : dict, optional
        Replace ``prep.inputs`` (e.g. degraded test inputs); rows as in ``prep``.
    workers : int, optional
        Shards run in parallel processes (default :func:`eval_workers`); the
        result equals the single-process one exactly.
    client : dask.distributed.Client, optional
        Run the shards on a Dask cluster.

    Returns
    -------
    dict with ``assignments``, ``weights`` (vote weights, see
    :func:`~stdp_emo.evaluation.vote_weights`; as given when ``assignments`` is), ``label`` and ``test`` (:class:`~stdp_emo.simulate.PresentResult`
    or None), ``timings``.
    """
    from .simulate import CompiledNetwork, present, present_sharded

    inputs = prep.inputs if inputs is None else inputs
    seed = cfg.train.seed
    # compile once here; shards then run copies of this project
    with CompiledNetwork(prep.composition, cfg.network, cfg.encoding, learning=False,
                         chunk_size=cfg.train.chunk_size) as frozen:
        timings = dict(frozen.timings)
        n_work = workers or eval_workers(cfg, len(prep.train_idx) + len(prep.test_idx))
        serial = n_work <= 1 and client is None

        def run(idx, phase, desc):
            if serial:
                return present(frozen, rows(inputs, idx), state, seed=seed, phase=phase,
                               progress=progress, desc=desc)
            return present_sharded(prep.composition, cfg.network, cfg.encoding, rows(inputs, idx),
                                   state, seed=seed, phase=phase, chunk_size=cfg.train.chunk_size,
                                   workers=n_work, client=client, progress=progress, desc=desc)

        if not serial:
            frozen.close()
        label = None
        if assignments is None:
            label = run(prep.train_idx, PHASE_LABEL, "labelling")
            y_label = prep.dataset.labels[prep.train_idx]
            assignments = evaluation.assign_labels(label.counts, y_label, len(prep.dataset.classes))
            weights = evaluation.vote_weights(label.counts, y_label, assignments,
                                              len(prep.dataset.classes), cfg.train.vote)
        test = run(prep.test_idx, PHASE_TEST, "testing")
    timings["workers"] = 1 if serial else n_work
    return {"assignments": assignments, "weights": weights, "label": label, "test": test,
            "timings": timings}


def fallback_class(prep: Prepared) -> int:
    """Class predicted for a sample none of whose labelled neurons fired: the training majority."""
    y_train = prep.dataset.labels[prep.train_idx]
    return int(np.bincount(y_train, minlength=len(prep.dataset.classes)).argmax())


def score(prep: Prepared, assignments: np.ndarray, label_counts: np.ndarray | None,
          test_counts: np.ndarray, seed: int, weights: np.ndarray | None = None) -> dict:
    """Metrics of the unsupervised (labelled-neuron) classifier and the supervised read-out."""
    classes = list(prep.dataset.classes)
    y = prep.dataset.labels
    y_train, y_test = y[prep.train_idx], y[prep.test_idx]
    pred = evaluation.predict(test_counts, assignments, len(classes), fallback=fallback_class(prep),
                              weights=weights)
    out = {"unsupervised": evaluation.metrics(y_test, pred, classes)}
    out["unsupervised"]["silent_test_samples"] = int(evaluation.silent_samples(test_counts).sum())
    out["unsupervised"]["neurons_assigned"] = int((assignments >= 0).sum())
    out["unsupervised"]["polarity"] = evaluation.polarity_metrics(y_test, pred, classes)
    if label_counts is not None:
        # every vote on the same spikes, for choosing one on validation data
        out["unsupervised"]["accuracy_by_vote"] = {
            v: float(np.mean(evaluation.predict(
                test_counts, assignments, len(classes), fallback=fallback_class(prep),
                weights=evaluation.vote_weights(label_counts, y_train, assignments, len(classes), v))
                == y_test)) for v in evaluation.VOTES}
        out["linear_readout_supervised"] = evaluation.linear_readout(
            label_counts, y_train, test_counts, y_test, seed=seed)
    out["predictions"] = {"test_ids": [prep.dataset.clips[i].id for i in prep.test_idx],
                          "y_true": y_test.tolist(), "y_pred": pred.tolist()}
    return out


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Turn SIGTERM into KeyboardInterrupt (so both write a checkpoint)."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:            # not the main thread (e.g. a Dask worker thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def train(cfg: ExperimentConfig, *, tag: str = "train", model_name: str | None = None,
          progress: bool = True, runs_home: Path | None = None,
          models_home: Path | None = None, checkpoint_every: int = 0,
          resume: str | Path | None = None, client=None, on_checkpoint=None) -> dict:
    """Run the whole protocol for ``cfg``; write a model and a run record.

    Parameters
    ----------
    checkpoint_every : int
        Write ``checkpoint.npz`` into the run directory after the chunk in
        which every N more training presentations were made (0: never), and
        always at Ctrl-C / SIGTERM.
    resume : path, optional
        A run directory with a checkpoint: continue that run (its config is
        used; ``cfg`` is ignored) in place.  For the same seed and environment
        the result equals an uninterrupted run.
    client : dask.distributed.Client, optional
        Shard labelling and testing over this Dask cluster.
    on_checkpoint : callable, optional
        Called with the checkpoint path after each write (tests).

    Returns
    -------
    dict
        ``metrics`` (as written to metrics.json), ``run_dir``, ``model_dir``.
    """
    from . import config as config_mod
    from .simulate import CompiledNetwork, initial_state, present

    if resume is not None:
        resume = Path(resume)
        if not (resume / "config.toml").is_file():
            from .errors import DataError
            raise DataError(f"{resume}: not a run directory (no config.toml)")
        cfg = config_mod.load(resume / "config.toml")
        record = RunRecord.reopen(resume)
    else:
        record = RunRecord(cfg.data.dataset, tag, home=runs_home)
    try:
        log.info("stdp_emo %s, python %s, config digest %s%s", __version__,
                 platform.python_version(), cfg.digest(), " (resumed)" if resume else "")
        if resume is None:
            record.write_text("config.toml", to_toml(cfg))
            record.write_json(RUN_INFO, {"model_name": model_name})
        elif model_name is None and (record.path / RUN_INFO).is_file():
            model_name = json.loads((record.path / RUN_INFO).read_text()).get("model_name")
        timings: dict[str, float] = {}
        prep = prepare(cfg, progress=progress)
        timings["features_s"] = prep.feature_seconds
        split_info = describe_split(prep.dataset, prep.train_idx, prep.test_idx)
        split_info.update(kind=cfg.data.split, seed=cfg.data.seed, holdout=cfg.data.holdout,
                          train_ids=[prep.dataset.clips[i].id for i in prep.train_idx],
                          test_ids=[prep.dataset.clips[i].id for i in prep.test_idx])
        ckpt_path = record.path / CHECKPOINT
        start_epoch, start_queue, train_stats = 0, None, []
        if resume is not None:
            meta, state = load_checkpoint(ckpt_path, cfg, split_info["train_ids"])
            start_epoch, start_queue = int(meta["epoch"]), meta["queue"]
            train_stats = list(meta["train_stats"])
            log.info("resuming at epoch %d with %d presentations left", start_epoch + 1,
                     len(start_queue))
        record.write_json("split.json", split_info)
        log.info("dataset %s (%s): %d clips, train %d, test %d, split %s", prep.dataset.name,
                 prep.dataset.description, len(prep.dataset), len(prep.train_idx),
                 len(prep.test_idx), cfg.data.split)
        comp = prep.composition
        log.info("network %s: %s; layers %s; %d plastic synapses", comp.mode,
                 ", ".join(f"{i.name} {i.n_inputs} inputs" for i in comp.inputs),
                 ", ".join(f"{layer.name} {layer.n_neurons}" for layer in comp.layers),
                 comp.n_synapses)

        if resume is None:
            state = initial_state(comp, cfg.network, cfg.train.seed,
                                  samples=rows(prep.inputs, prep.train_idx))
        rng = np.random.default_rng(cfg.train.seed)
        orders = [rng.permutation(prep.train_idx) for _ in range(cfg.train.epochs)]
        latest = {"epoch": start_epoch, "queue": start_queue, "state": state, "made": 0,
                  "saved_at": 0}

        def checkpoint():
            save_checkpoint(ckpt_path, cfg, split_info["train_ids"], latest["epoch"],
                            latest["queue"], latest["state"], train_stats)
            latest["saved_at"] = latest["made"]
            if on_checkpoint is not None:
                on_checkpoint(ckpt_path)

        def on_chunk(queue, st):
            latest.update(queue=queue, state=st,
                          made=latest["made"] + cfg.train.chunk_size)
            if checkpoint_every and latest["made"] - latest["saved_at"] >= checkpoint_every:
                try:
                    checkpoint()
                except WriteError as e:      # training goes on; the next one may succeed
                    latest["saved_at"] = latest["made"]
                    log.warning("checkpoint not written: %s", e)

        with CompiledNetwork(comp, cfg.network, cfg.encoding, learning=True,
                             chunk_size=cfg.train.chunk_size) as learn, _sigterm_as_interrupt():
            timings.update({f"learn_{k}": v for k, v in learn.timings.items()})
            t0 = time.perf_counter()
            try:
                for epoch in range(start_epoch, cfg.train.epochs):
                    queue = start_queue if epoch == start_epoch and start_queue is not None else None
                    latest.update(epoch=epoch, state=state,
                                  queue=queue if queue is not None
                                  else [[int(s), 0] for s in orders[epoch]])
                    res = present(learn, prep.inputs, state, seed=cfg.train.seed, phase=epoch,
                                  order=orders[epoch], queue=queue, progress=progress,
                                  desc=f"training epoch {epoch + 1}/{cfg.train.epochs}",
                                  on_chunk=on_chunk)
                    state = res.state
                    train_stats.append(dict(res.stats, epoch=epoch + 1,
                                            presentations=res.presentations,
                                            seconds=res.seconds, resumed=queue is not None))
                    log.info("epoch %d: %.1f s, %.1f spikes/sample in the labelled layer",
                             epoch + 1, res.seconds, res.stats["spikes_per_sample_mean"])
                    latest.update(epoch=epoch + 1, queue=[], state=state)
            except KeyboardInterrupt:
                try:
                    checkpoint()
                except WriteError as e:
                    raise WriteError(f"interrupted, and the checkpoint was not written: {e}") \
                        from None
                log.warning("interrupted: checkpoint written to %s; continue with "
                            "stdp-emo train --resume %s", ckpt_path, record.path)
                raise
        timings["train_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        ev = evaluate_frozen(cfg, prep, state, progress=progress, client=client)
        timings.update({f"frozen_{k}": v for k, v in ev["timings"].items()})
        timings["label_s"] = ev["label"].seconds
        timings["test_s"] = ev["test"].seconds
        timings["evaluate_s"] = time.perf_counter() - t0
        results = score(prep, ev["assignments"], ev["label"].counts, ev["test"].counts,
                        cfg.train.seed, ev["weights"])
        n_train_pres = sum(s["presentations"] for s in train_stats)
        metrics = {
            "dataset": prep.dataset.name, "description": prep.dataset.description,
            "split": cfg.data.split, "modality": prep.modality,
            "features": feature_name(cfg),
            "visual_features": prep.feature_info,
            **({"visual_input": prep.feature_info["description"]}
               if prep.feature_info and "description" in prep.feature_info else {}),
            "n_train": int(len(prep.train_idx)), "n_test": int(len(prep.test_idx)),
            **{k: v for k, v in results.items() if k != "predictions"},
            "training": train_stats,
            "labelling": ev["label"].stats, "testing": ev["test"].stats,
            "input_spikes_per_sample_expected": {m: float(expected_input_spikes(
                x[prep.test_idx], cfg.encoding.max_rate_hz, cfg.encoding.present_ms).mean())
                for m, x in prep.inputs.items()},
            "energy": evaluation.energy_estimate(
                synaptic_ops(comp, rows(prep.inputs, prep.test_idx), ev["test"], cfg.encoding)),
            "timings_s": timings,
            "seconds_per_sample": {
                "train": timings["train_s"] / max(n_train_pres, 1),
                "label": timings["label_s"] / max(ev["label"].presentations, 1),
                "test": timings["test_s"] / max(ev["test"].presentations, 1)},
        }
        encoding = (prep.encoder.to_arrays() if prep.encoder is not None else
                    {k: np.zeros(0) for k in ("scale_low", "scale_high", "code_mean", "code_sd")})
        if prep.au_scale is not None:
            encoding["au_scale"] = prep.au_scale
        model = Model(cfg, {**state.to_arrays(), "assignments": ev["assignments"],
                            "vote_weights": ev["weights"], **encoding},
                      {"classes": list(prep.dataset.classes), "dataset": prep.dataset.name,
                       "dataset_root": str(prep.dataset.root), "modality": prep.modality,
                       "readout": comp.readout,
                       "input_shape": list(prep.topology.input_shape),
                       "input_shapes": {m: list(t.input_shape) for m, t in comp.topologies.items()},
                       "n_neurons": prep.topology.n_neurons,
                       "layers": {layer.name: layer.n_neurons for layer in comp.layers},
                       "split": {"train_ids": split_info["train_ids"],
                                 "test_ids": split_info["test_ids"]},
                       "run_dir": str(record.path),
                       "accuracy": metrics["unsupervised"]["accuracy"],
                       "fallback_class": fallback_class(prep),
                       "stdp_emo_version": __version__})
        try:
            model_dir = save_model(model, model_name or record.path.name, home=models_home)
        except WriteError as e:
            kept = keep_trained(record.path, cfg, split_info, state, train_stats)
            raise WriteError(f"{e}; the trained network is kept in {kept}: once the folder "
                             f"is writable, write the model with "
                             f"stdp-emo train --resume {kept.parent}") from None
        log.info("model written to %s", model_dir)
        try:
            record.write_json("metrics.json", metrics)
            record.write_json("predictions.json", results["predictions"])
            record.write_json("model.json", {"model_dir": str(model_dir)})
        except WriteError as e:
            raise WriteError(f"{e}; the model was written to {model_dir}, but its run record "
                             f"{record.path} is incomplete") from None
        ckpt_path.unlink(missing_ok=True)
        return {"metrics": metrics, "run_dir": record.path, "model_dir": model_dir}
    except BaseException as e:
        record.fail(e)
        raise
    finally:
        record.close()


def feature_name(cfg: ExperimentConfig) -> str:
    """Short name of a config's input features: ``mfcc``, ``mel``, ``dvs-v2e``, ``mfcc+dvs-v2e``,
    ``mfcc+au`` (real facial action units)."""
    vis = "au" if cfg.visual.source == "au" else f"dvs-{cfg.visual.dvs_method}"
    mods = modalities(cfg.train.modality)
    return "+".join(cfg.audio.kind if m == "audio" else vis for m in mods)


def synaptic_ops(comp: Composition, inputs: dict, res, enc) -> dict:
    """Synaptic events per sample of the presentations ``res`` of ``inputs``.

    ``inputs`` are the presented rows (modality -> (n, n_inputs)); ``res`` the
    :class:`~stdp_emo.simulate.PresentResult` of presenting them.

    Input spikes are their expected number (rates x presentation time; inputs
    are not monitored), excitatory spikes are counted; every excitatory spike
    also drives its inhibitory partner, whose spike (w_exc_inh makes it fire
    at once) reaches the other neurons of its pool.

    Returns
    -------
    dict
        ``synaptic_ops_per_sample`` (accumulates), ``n_synapses`` (a same-size
        ANN's multiply-accumulates per sample: one per connection).
    """
    ops = 0.0
    for p in comp.projections:
        fan_out = np.bincount(p.pre, minlength=int(p.pre.max()) + 1 if p.pre.size else 0)
        if p.source.endswith("_input"):
            m = p.source[: -len("_input")]
            x = inputs[m] * enc.max_rate_hz * enc.present_ms * 1e-3
            ops += float((x[:, : fan_out.size] * fan_out[None, : x.shape[1]]).sum(axis=1).mean())
        else:
            c = res.layer_counts[p.source[: -len("_exc")]]
            ops += float((c[:, : fan_out.size] * fan_out[None, : c.shape[1]]).sum(axis=1).mean())
    for layer in comp.layers:
        spikes = res.layer_counts[layer.name].sum(axis=1).mean()
        pool_size = np.bincount(layer.pools).max()
        ops += float(spikes) * (1 + (pool_size - 1))
    return {"synaptic_ops_per_sample": ops, "n_synapses": int(comp.n_synapses)}


def model_config(model, root: str | None = None) -> ExperimentConfig:
    """A saved model's config, reading data from ``root`` (default: where it was trained)."""
    cfg = model.config
    if root:
        return cfg.replace(data={"root": str(root)})
    if not cfg.data.root and model.info.get("dataset_root") and cfg.data.dataset != "synthetic":
        return cfg.replace(data={"root": model.info["dataset_root"]})
    return cfg


def model_encoder(model) -> AudioEncoder | None:
    """The audio encoding stored with a model (None for models without audio)."""
    if "audio" not in modalities(model.config.train.modality):
        return None
    return AudioEncoder.from_arrays(model.arrays, model.config.encoding)


def model_vote_weights(model) -> np.ndarray | None:
    """The vote weights stored with a model (None: a model from before votes, the DC15 mean vote)."""
    w = model.arrays.get("vote_weights")
    return None if w is None else np.asarray(w, dtype=np.float64)


def model_state(model):
    """The :class:`~stdp_emo.simulate.NetworkState` stored in a model."""
    from .simulate import NetworkState

    return NetworkState.from_arrays(model.arrays)


def prepare_model(model, root: str | None = None, progress: bool = True,
                  sample_ids: list[str] | None = None):
    """Config and prepared data (the model's own split and scaling) of a saved model.

    ``sample_ids``: prepare only these clips (as the test split), e.g. one sample.
    """
    from .errors import DataError

    cfg = model_config(model, root)
    dataset = load_dataset(cfg.data.dataset, cfg.data.root or None, include_song=cfg.data.include_song)
    split_ids = (model.info["split"]["train_ids"], model.info["split"]["test_ids"])
    if sample_ids is not None:
        keep = [k for k, c in enumerate(dataset.clips) if c.id in set(sample_ids)]
        if len(keep) != len(set(sample_ids)):
            raise DataError(f"{dataset.root}: sample(s) not found: "
                            f"{sorted(set(sample_ids) - {dataset.clips[k].id for k in keep})}")
        dataset, split_ids = dataset.subset(keep), ([], list(sample_ids))
    au_scale = model.arrays.get("au_scale")
    prep = prepare(cfg, progress=progress, dataset=dataset, split_ids=split_ids,
                   encoder=model_encoder(model),
                   au_scale=None if au_scale is None else np.asarray(au_scale, float))
    return cfg, prep


def evaluate_model(model_dir: str | Path, root: str | None = None, *, progress: bool = True,
                   runs_home: Path | None = None, workers: int | None = None,
                   client=None) -> dict:
    """Re-run the frozen test presentations of a saved model on its stored test split.

    ``workers`` / ``client`` shard the presentations over processes or a Dask
    cluster; the result equals the single-process one.
    """
    from .records import load_model

    model = load_model(model_dir)
    cfg = model_config(model, root)
    record = RunRecord(cfg.data.dataset, "evaluate", home=runs_home)
    try:
        record.write_text("config.toml", to_toml(cfg))
        cfg, prep = prepare_model(model, root, progress)
        ev = evaluate_frozen(cfg, prep, model_state(model), progress=progress,
                             assignments=np.asarray(model.arrays["assignments"]),
                             weights=model_vote_weights(model),
                             workers=workers, client=client)
        results = score(prep, ev["assignments"], None, ev["test"].counts, cfg.train.seed,
                        ev["weights"])
        metrics = {"model_dir": str(model.path), "dataset": prep.dataset.name,
                   "modality": prep.modality, "features": feature_name(cfg),
                   "n_test": int(len(prep.test_idx)), "unsupervised": results["unsupervised"],
                   "testing": ev["test"].stats, "workers": ev["timings"]["workers"],
                   "seconds_per_sample": {"test": ev["test"].seconds / max(ev["test"].presentations, 1)}}
        record.write_json("metrics.json", metrics)
        record.write_json("predictions.json", results["predictions"])
        return {"metrics": metrics, "run_dir": record.path,
                "predictions": results["predictions"]}
    except BaseException as e:
        record.fail(e)
        raise
    finally:
        record.close()


def record_sample(model_dir: str | Path, sample_id: str, root: str | None = None,
                  trace_neurons: int = 0) -> dict:
    """Present one sample to a saved (frozen) model and record every group's spikes.

    The sample gets the same random stream as in the model's test (or
    labelling) presentations, so its excitatory spikes reproduce those runs.

    Parameters
    ----------
    trace_neurons : int
        Also record the membrane potential and threshold of this many
        excitatory neurons of the labelled layer (the most active ones).

    Returns
    -------
    dict
        ``groups`` {panel name: (times_ms, neuron index, n_neurons)}, ``assignments``
        {panel name: ndarray}, ``classes``, ``true``, ``predicted`` (class names),
        ``sample_id``, ``split`` ("test" or "train"), ``present_ms``, ``rest_ms``,
        ``visual_lead_ms`` (multimodal modes, else None), ``retries``
        (re-presentations at higher intensity, as in testing), ``traces``
        (with ``trace_neurons``: {"t_ms", "neurons", "v_mv", "threshold_mv"}).
    """
    from .errors import DataError
    from .network.rng import sample_streams
    from .records import load_model
    from .simulate import CompiledNetwork

    model = load_model(model_dir)
    split_ids = (model.info["split"]["train_ids"], model.info["split"]["test_ids"])
    if sample_id in split_ids[1]:
        phase, pos, which = PHASE_TEST, split_ids[1].index(sample_id), "test"
    elif sample_id in split_ids[0]:
        phase, pos, which = PHASE_LABEL, split_ids[0].index(sample_id), "train"
    else:
        raise DataError(f"{model.path}: sample '{sample_id}' is in neither split of this model "
                        f"(e.g. '{split_ids[1][0]}')")
    cfg, prep = prepare_model(model, root, progress=False, sample_ids=[sample_id])
    comp = prep.composition
    state = model_state(model)
    enc = cfg.encoding
    with CompiledNetwork(comp, cfg.network, enc, learning=False, chunk_size=1,
                         record_all=True) as net:
        # replay the presentation as `present` made it, retries at higher intensity included
        for retry in range(enc.max_retries + 1):
            streams = sample_streams(cfg.train.seed, phase, np.array([pos * 16 + retry]))
            rates = {m: x[:1] * enc.max_rate_hz * (1.0 + retry * enc.intensity_step)
                     for m, x in prep.inputs.items()}
            spikes = net.record(rates, streams, state)
            exc_i, exc_t = spikes[comp.readout]
            if np.sum(exc_t < net.count_ms) >= enc.min_spikes:
                break
        traces = None
        if trace_neurons:
            counts = np.bincount(exc_i, minlength=comp.layer(comp.readout).n_neurons)
            chosen = np.sort(np.argsort(-counts, kind="stable")[:trace_neurons])
            traces = net.traces(comp.readout, chosen)
    assignments = np.asarray(model.arrays["assignments"])
    sizes, names = {}, {}
    for spec in comp.inputs:
        sizes[f"{spec.name}_input"] = spec.n_inputs
        names[f"{spec.name}_input"] = f"{spec.name} input"
    for layer in comp.layers:
        label = "multimodal" if layer.name == "fusion" else layer.name
        sizes[layer.name] = sizes[f"{layer.name}_inh"] = layer.n_neurons
        names[layer.name] = f"{label} excitatory"
        names[f"{layer.name}_inh"] = f"{label} inhibitory"
    groups = {names[k]: (t, i, sizes[k]) for k, (i, t) in spikes.items()}
    counts = np.bincount(exc_i[exc_t < net.count_ms],
                         minlength=comp.layer(comp.readout).n_neurons)[None, :]
    classes = list(model.info["classes"])
    pred = evaluation.predict(counts, assignments, len(classes), weights=model_vote_weights(model),
                              fallback=int(model.info.get("fallback_class", 0)))[0]
    multimodal = len(comp.inputs) > 1
    return {"groups": groups, "retries": retry,
            "assignments": {names[comp.readout]: assignments}, "classes": classes,
            "true": classes[prep.dataset.clips[0].label], "predicted": classes[int(pred)],
            "sample_id": sample_id, "split": which, "present_ms": enc.present_ms,
            "rest_ms": enc.rest_ms, "visual_lead_ms": cfg.network.visual_lead_ms if multimodal else None,
            "traces": traces}
