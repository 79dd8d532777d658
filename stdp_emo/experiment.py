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

import logging
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__, evaluation
from .config import ExperimentConfig, to_toml
from .datasets import load_dataset
from .datasets.base import Dataset
from .datasets.splits import describe_split, split
from .encoding import audio_inputs, expected_input_spikes
from .features.audio import Scaler, extract_dataset
from .network.topology import ConvTopology, audio_topology, conv_topology
from .records import Model, RunRecord, save_model

log = logging.getLogger("stdp_emo.experiment")

PHASE_LABEL = 1_000_000
PHASE_TEST = 1_000_001


@dataclass
class Prepared:
    """Dataset, split and network inputs for one config."""

    dataset: Dataset
    train_idx: np.ndarray
    test_idx: np.ndarray
    inputs: np.ndarray          # (n_clips, n_inputs) in [0, 1]
    scaler: Scaler | None       # audio scaling (None for vision)
    topology: ConvTopology
    feature_seconds: float
    modality: str = "audio"
    feature_info: dict | None = None


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
            scaler: Scaler | None = None) -> Prepared:
    """Load data, split, extract and scale features (scaling fitted on the training split).

    Parameters
    ----------
    split_ids : (train ids, test ids), optional
        Re-use a stored split (evaluation of a saved model) instead of drawing one.
    scaler : Scaler, optional
        Re-use a stored scaling instead of fitting one.
    """
    d = cfg.data
    if dataset is None:
        dataset = load_dataset(d.dataset, d.root or None, include_song=d.include_song)
        if (cfg.train.modality == "visual" and d.dataset == "synthetic"
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
    net = cfg.network
    info = None
    if cfg.train.modality == "audio":
        feats, n_valid, ids = extract_dataset(dataset, cfg.audio, progress=progress)
        if scaler is None:
            scaler = Scaler.fit(feats[train_idx], n_valid[train_idx], cfg.audio)
        inputs = audio_inputs(scaler.transform(feats, n_valid))
        topo = audio_topology(feats.shape[1], feats.shape[2], net.window, net.stride, net.n_features)
    else:
        from .features.visual import extract_visual_dataset

        vis = extract_visual_dataset(dataset, cfg.visual, progress=progress)
        info = vis.summary()
        info["faces_not_found_ids"] = vis.faces_not_found
        # clips without a usable video are left out of both splits (counted in the record)
        train_idx = np.asarray([k for k in train_idx if vis.ok[k]], dtype=np.int64)
        test_idx = np.asarray([k for k in test_idx if vis.ok[k]], dtype=np.int64)
        inputs, scaler = vis.inputs, None
        topo = conv_topology(vis.input_shape, (net.window, net.window), (net.stride, net.stride),
                             net.n_features)
    feature_seconds = time.perf_counter() - t0
    return Prepared(dataset, np.asarray(train_idx), np.asarray(test_idx), inputs, scaler, topo,
                    feature_seconds, cfg.train.modality, info)


def evaluate_frozen(cfg: ExperimentConfig, prep: Prepared, state, *, progress: bool = True,
                    assignments: np.ndarray | None = None):
    """Labelling (unless ``assignments`` given) and test presentations of a frozen network.

    Returns
    -------
    dict with ``assignments``, ``label`` and ``test`` (:class:`~stdp_emo.simulate.PresentResult`
    or None), ``frozen`` (the compiled network).
    """
    from .simulate import CompiledNetwork, present

    frozen = CompiledNetwork(prep.topology, prep.modality, cfg.network, cfg.encoding, learning=False,
                             chunk_size=cfg.train.chunk_size)
    seed = cfg.train.seed
    label = None
    if assignments is None:
        label = present(frozen, prep.inputs[prep.train_idx], state, seed=seed, phase=PHASE_LABEL,
                        progress=progress, desc="labelling")
        assignments = evaluation.assign_labels(label.counts, prep.dataset.labels[prep.train_idx],
                                               len(prep.dataset.classes))
    test = present(frozen, prep.inputs[prep.test_idx], state, seed=seed, phase=PHASE_TEST,
                   progress=progress, desc="testing")
    return {"assignments": assignments, "label": label, "test": test, "frozen": frozen}


def fallback_class(prep: Prepared) -> int:
    """Class predicted for a sample none of whose labelled neurons fired: the training majority."""
    y_train = prep.dataset.labels[prep.train_idx]
    return int(np.bincount(y_train, minlength=len(prep.dataset.classes)).argmax())


def score(prep: Prepared, assignments: np.ndarray, label_counts: np.ndarray | None,
          test_counts: np.ndarray, seed: int) -> dict:
    """Metrics of the unsupervised (labelled-neuron) classifier and the supervised read-out."""
    classes = list(prep.dataset.classes)
    y = prep.dataset.labels
    y_train, y_test = y[prep.train_idx], y[prep.test_idx]
    pred = evaluation.predict(test_counts, assignments, len(classes), fallback=fallback_class(prep))
    out = {"unsupervised": evaluation.metrics(y_test, pred, classes)}
    out["unsupervised"]["silent_test_samples"] = int(evaluation.silent_samples(test_counts).sum())
    out["unsupervised"]["neurons_assigned"] = int((assignments >= 0).sum())
    if label_counts is not None:
        out["linear_readout_supervised"] = evaluation.linear_readout(
            label_counts, y_train, test_counts, y_test, seed=seed)
    out["predictions"] = {"test_ids": [prep.dataset.clips[i].id for i in prep.test_idx],
                          "y_true": y_test.tolist(), "y_pred": pred.tolist()}
    return out


def train(cfg: ExperimentConfig, *, tag: str = "train", model_name: str | None = None,
          progress: bool = True, runs_home: Path | None = None,
          models_home: Path | None = None) -> dict:
    """Run the whole protocol for ``cfg``; write a model and a run record.

    Returns
    -------
    dict
        ``metrics`` (as written to metrics.json), ``run_dir``, ``model_dir``.
    """
    from .simulate import CompiledNetwork, initial_state, present

    record = RunRecord(cfg.data.dataset, tag, home=runs_home)
    try:
        log.info("stdp_emo %s, python %s, config digest %s", __version__, platform.python_version(),
                 cfg.digest())
        record.write_text("config.toml", to_toml(cfg))
        timings: dict[str, float] = {}
        prep = prepare(cfg, progress=progress)
        timings["features_s"] = prep.feature_seconds
        split_info = describe_split(prep.dataset, prep.train_idx, prep.test_idx)
        split_info.update(kind=cfg.data.split, seed=cfg.data.seed, holdout=cfg.data.holdout,
                          train_ids=[prep.dataset.clips[i].id for i in prep.train_idx],
                          test_ids=[prep.dataset.clips[i].id for i in prep.test_idx])
        record.write_json("split.json", split_info)
        log.info("dataset %s (%s): %d clips, train %d, test %d, split %s", prep.dataset.name,
                 prep.dataset.description, len(prep.dataset), len(prep.train_idx),
                 len(prep.test_idx), cfg.data.split)
        topo = prep.topology
        log.info("network: %d inputs -> %d excitatory neurons (%d positions x %d features), "
                 "%d plastic synapses", topo.n_inputs, topo.n_neurons, topo.n_positions,
                 topo.n_features, topo.pre.size)

        learn = CompiledNetwork(topo, prep.modality, cfg.network, cfg.encoding, learning=True,
                                chunk_size=cfg.train.chunk_size)
        timings.update({f"learn_{k}": v for k, v in learn.timings.items()})
        state = initial_state(topo, cfg.network, cfg.train.seed)
        rng = np.random.default_rng(cfg.train.seed)
        t0 = time.perf_counter()
        train_stats = []
        for epoch in range(cfg.train.epochs):
            order = rng.permutation(prep.train_idx)
            res = present(learn, prep.inputs, state, seed=cfg.train.seed, phase=epoch, order=order,
                          progress=progress, desc=f"training epoch {epoch + 1}/{cfg.train.epochs}")
            state = res.state
            train_stats.append(dict(res.stats, epoch=epoch + 1, presentations=res.presentations,
                                    seconds=res.seconds))
            log.info("epoch %d: %.1f s, %.1f exc spikes/sample", epoch + 1, res.seconds,
                     res.stats["spikes_per_sample_mean"])
        timings["train_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        ev = evaluate_frozen(cfg, prep, state, progress=progress)
        timings.update({f"frozen_{k}": v for k, v in ev["frozen"].timings.items()})
        timings["label_s"] = ev["label"].seconds
        timings["test_s"] = ev["test"].seconds
        timings["evaluate_s"] = time.perf_counter() - t0
        results = score(prep, ev["assignments"], ev["label"].counts, ev["test"].counts,
                        cfg.train.seed)
        n_train_pres = sum(s["presentations"] for s in train_stats)
        metrics = {
            "dataset": prep.dataset.name, "description": prep.dataset.description,
            "split": cfg.data.split, "modality": prep.modality,
            "features": cfg.audio.kind if prep.modality == "audio" else f"dvs-{cfg.visual.dvs_method}",
            "visual_features": prep.feature_info,
            "n_train": int(len(prep.train_idx)), "n_test": int(len(prep.test_idx)),
            **{k: v for k, v in results.items() if k != "predictions"},
            "training": train_stats,
            "labelling": ev["label"].stats, "testing": ev["test"].stats,
            "input_spikes_per_sample_expected": float(expected_input_spikes(
                prep.inputs, cfg.encoding.max_rate_hz, cfg.encoding.present_ms).mean()),
            "timings_s": timings,
            "seconds_per_sample": {
                "train": timings["train_s"] / max(n_train_pres, 1),
                "label": timings["label_s"] / max(ev["label"].presentations, 1),
                "test": timings["test_s"] / max(ev["test"].presentations, 1)},
        }
        record.write_json("metrics.json", metrics)
        record.write_json("predictions.json", results["predictions"])
        scale = (prep.scaler.low, prep.scaler.high) if prep.scaler is not None else (np.zeros(0), np.zeros(0))
        model = Model(cfg, {"w": state.w, "theta": state.theta, "assignments": ev["assignments"],
                            "scale_low": scale[0], "scale_high": scale[1]},
                      {"classes": list(prep.dataset.classes), "dataset": prep.dataset.name,
                       "dataset_root": str(prep.dataset.root), "modality": prep.modality,
                       "input_shape": list(topo.input_shape), "n_neurons": topo.n_neurons,
                       "split": {"train_ids": split_info["train_ids"],
                                 "test_ids": split_info["test_ids"]},
                       "run_dir": str(record.path),
                       "accuracy": metrics["unsupervised"]["accuracy"],
                       "fallback_class": fallback_class(prep),
                       "stdp_emo_version": __version__})
        model_dir = save_model(model, model_name or record.path.name, home=models_home)
        log.info("model written to %s", model_dir)
        record.write_json("model.json", {"model_dir": str(model_dir)})
        return {"metrics": metrics, "run_dir": record.path, "model_dir": model_dir}
    finally:
        record.close()


def model_config(model, root: str | None = None) -> ExperimentConfig:
    """A saved model's config, reading data from ``root`` (default: where it was trained)."""
    cfg = model.config
    if root:
        return cfg.replace(data={"root": str(root)})
    if not cfg.data.root and model.info.get("dataset_root") and cfg.data.dataset != "synthetic":
        return cfg.replace(data={"root": model.info["dataset_root"]})
    return cfg


def model_scaler(model) -> Scaler | None:
    """The audio feature scaling stored with a model (None for visual models)."""
    if model.config.train.modality != "audio":
        return None
    return Scaler(np.asarray(model.arrays["scale_low"]), np.asarray(model.arrays["scale_high"]))


def evaluate_model(model_dir: str | Path, root: str | None = None, *, progress: bool = True,
                   runs_home: Path | None = None) -> dict:
    """Re-run the frozen test presentations of a saved model on its stored test split."""
    from .records import load_model
    from .simulate import NetworkState

    model = load_model(model_dir)
    cfg = model_config(model, root)
    record = RunRecord(cfg.data.dataset, "evaluate", home=runs_home)
    try:
        record.write_text("config.toml", to_toml(cfg))
        split_ids = (model.info["split"]["train_ids"], model.info["split"]["test_ids"])
        scaler = model_scaler(model)
        dataset = load_dataset(cfg.data.dataset, cfg.data.root or None, include_song=cfg.data.include_song)
        prep = prepare(cfg, progress=progress, dataset=dataset, split_ids=split_ids, scaler=scaler)
        state = NetworkState(np.asarray(model.arrays["w"], float), np.asarray(model.arrays["theta"], float))
        ev = evaluate_frozen(cfg, prep, state, progress=progress,
                             assignments=np.asarray(model.arrays["assignments"]))
        results = score(prep, ev["assignments"], None, ev["test"].counts, cfg.train.seed)
        metrics = {"model_dir": str(model.path), "dataset": prep.dataset.name,
                   "n_test": int(len(prep.test_idx)), "unsupervised": results["unsupervised"],
                   "testing": ev["test"].stats,
                   "seconds_per_sample": {"test": ev["test"].seconds / max(ev["test"].presentations, 1)}}
        record.write_json("metrics.json", metrics)
        record.write_json("predictions.json", results["predictions"])
        return {"metrics": metrics, "run_dir": record.path}
    finally:
        record.close()


def record_sample(model_dir: str | Path, sample_id: str, root: str | None = None) -> dict:
    """Present one sample to a saved (frozen) model and record every group's spikes.

    The sample gets the same random stream as in the model's test (or
    labelling) presentations, so its excitatory spikes reproduce those runs.

    Returns
    -------
    dict
        ``groups`` {panel name: (times_ms, neuron index, n_neurons)}, ``assignments``
        {panel name: ndarray}, ``classes``, ``true``, ``predicted`` (class names),
        ``sample_id``, ``split`` ("test" or "train"), ``present_ms``, ``rest_ms``,
        ``retries`` (re-presentations at higher intensity, as in testing).
    """
    from .errors import DataError
    from .network.rng import sample_streams
    from .records import load_model
    from .simulate import CompiledNetwork, NetworkState

    model = load_model(model_dir)
    cfg = model_config(model, root)
    split_ids = (model.info["split"]["train_ids"], model.info["split"]["test_ids"])
    if sample_id in split_ids[1]:
        phase, pos, which = PHASE_TEST, split_ids[1].index(sample_id), "test"
    elif sample_id in split_ids[0]:
        phase, pos, which = PHASE_LABEL, split_ids[0].index(sample_id), "train"
    else:
        raise DataError(f"{model.path}: sample '{sample_id}' is in neither split of this model "
                        f"(e.g. '{split_ids[1][0]}')")
    dataset = load_dataset(cfg.data.dataset, cfg.data.root or None, include_song=cfg.data.include_song)
    keep = [k for k, c in enumerate(dataset.clips) if c.id == sample_id]
    if not keep:
        raise DataError(f"{dataset.root}: sample '{sample_id}' not found")
    one = dataset.subset(keep)
    scaler = model_scaler(model)
    prep = prepare(cfg, progress=False, dataset=one, split_ids=([], [sample_id]), scaler=scaler)
    net = CompiledNetwork(prep.topology, prep.modality, cfg.network, cfg.encoding, learning=False,
                          chunk_size=1, record_all=True)
    state = NetworkState(np.asarray(model.arrays["w"], float), np.asarray(model.arrays["theta"], float))
    # replay the presentation as `present` made it, retries at higher intensity included
    enc = cfg.encoding
    for retry in range(enc.max_retries + 1):
        streams = sample_streams(cfg.train.seed, phase, np.array([pos * 16 + retry]))
        rates = prep.inputs[:1] * enc.max_rate_hz * (1.0 + retry * enc.intensity_step)
        spikes = net.record(rates, streams, state)
        exc_i, exc_t = spikes[prep.modality]
        if np.sum(exc_t < enc.present_ms) >= enc.min_spikes:
            break
    m = prep.modality
    assignments = np.asarray(model.arrays["assignments"])
    sizes = {m: prep.topology.n_neurons, f"{m}_input": prep.topology.n_inputs,
             f"{m}_inh": prep.topology.n_neurons}
    names = {m: f"{m} excitatory", f"{m}_input": f"{m} input", f"{m}_inh": f"{m} inhibitory"}
    groups = {names[k]: (t, i, sizes[k]) for k, (i, t) in spikes.items()}
    counts = np.bincount(spikes[m][0][spikes[m][1] < cfg.encoding.present_ms],
                         minlength=prep.topology.n_neurons)[None, :]
    classes = list(model.info["classes"])
    pred = evaluation.predict(counts, assignments, len(classes),
                              fallback=int(model.info.get("fallback_class", 0)))[0]
    return {"groups": groups, "retries": retry, "assignments": {f"{m} excitatory": assignments}, "classes": classes,
            "true": classes[one.clips[0].label], "predicted": classes[int(pred)],
            "sample_id": sample_id, "split": which, "present_ms": cfg.encoding.present_ms,
            "rest_ms": cfg.encoding.rest_ms}
