"""The frozen network: labelling, testing, scoring, and replaying one sample.

After training (or for a saved :class:`~stdp_emo.model.TrainedModel`), plasticity is
off: the training split is presented once more to give every labelled-layer neuron
a class, then the test split is presented and classified by the neurons' votes.
:func:`record_sample` replays one presentation with every group monitored (rasters).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from . import evaluation
from .config import ExperimentConfig, to_toml
from .encoding import (PHASE_LABEL, PHASE_TEST, expected_spikes_per_input, input_rates_hz,
                       phase_encoding, stream_ids)
from .errors import DataError
from .model import as_model
from .network.composition import Composition, joined_counts, modalities
from .preparation import Prepared, prepare_for_model, rows
from .records import RunRecord

log = logging.getLogger("stdp_emo.frozen")


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
    or None), ``groups`` (:func:`vote_groups`, what the weights were computed with),
    ``timings``.
    """
    from .simulate import CompiledNetwork, present, present_sharded

    inputs = prep.inputs if inputs is None else inputs
    seed = cfg.train.seed
    groups = vote_groups(cfg, prep.composition)
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
                                              len(prep.dataset.classes), cfg.train.vote, groups)
        test = run(prep.test_idx, PHASE_TEST, "testing")
    timings["workers"] = 1 if serial else n_work
    return {"assignments": assignments, "weights": weights, "groups": groups, "label": label,
            "test": test, "timings": timings}


def vote_groups(cfg: ExperimentConfig, comp) -> np.ndarray | None:
    """Layer of every voting neuron when ``train.layer_vote = "per_layer"`` and several
    layers vote (:func:`stdp_emo.evaluation.vote_weights`), else None (one pooled vote)."""
    if cfg.train.layer_vote != "per_layer" or len(comp.vote_layers) < 2:
        return None
    return evaluation.layer_groups([comp.layer(name).n_neurons for name in comp.vote_layers])


def fallback_class(prep: Prepared) -> int:
    """Class predicted for a sample none of whose labelled neurons fired: the training majority."""
    y_train = prep.dataset.labels[prep.train_idx]
    return int(np.bincount(y_train, minlength=len(prep.dataset.classes)).argmax())


def score(prep: Prepared, assignments: np.ndarray, label_counts: np.ndarray | None,
          test_counts: np.ndarray, seed: int, weights: np.ndarray | None = None,
          groups: np.ndarray | None = None) -> dict:
    """Metrics of the unsupervised (labelled-neuron) classifier and the supervised read-out
    (``groups``: :func:`vote_groups`, for the record of every vote on the same spikes)."""
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
                weights=evaluation.vote_weights(label_counts, y_train, assignments, len(classes), v,
                                                groups))
                == y_test)) for v in evaluation.VOTES}
        out["linear_readout_supervised"] = evaluation.linear_readout(
            label_counts, y_train, test_counts, y_test, seed=seed)
    out["predictions"] = {"test_ids": [prep.dataset.clips[i].id for i in prep.test_idx],
                          "y_true": y_test.tolist(), "y_pred": pred.tolist()}
    return out


def accuracy_by_vote_layers(prep: Prepared, label, test, vote: str,
                            layer_vote: str = "pooled") -> dict | None:
    """Unsupervised accuracy when each layer's neurons alone, or all of them, are labelled
    and vote, on the same spikes (multimodal networks; None for one layer).

    Parameters
    ----------
    label, test : PresentResult
        Frozen labelling and test presentations (``layer_counts`` of every layer).
    vote : str
        Vote weighting (``train.vote``).
    layer_vote : {"pooled", "per_layer"}
        How the layers are combined for ``"all"`` (``train.layer_vote``).

    Returns
    -------
    dict or None
        Layer name -> accuracy (fraction); ``"all"`` for every layer together as
        configured, and ``"all_pooled"`` / ``"all_per_layer"`` for both combinations.
    """
    comp = prep.composition
    if label is None or len(comp.layers) < 2:
        return None
    classes = len(prep.dataset.classes)
    y = prep.dataset.labels
    y_train, y_test = y[prep.train_idx], y[prep.test_idx]
    every = tuple(layer.name for layer in comp.layers)
    groups = evaluation.layer_groups([layer.n_neurons for layer in comp.layers])
    options = {layer.name: ((layer.name,), None) for layer in comp.layers}
    options["all_pooled"] = (every, None)
    options["all_per_layer"] = (every, groups)
    out = {}
    for option, (names, g) in options.items():
        pred = evaluation.label_and_predict(
            joined_counts(label.layer_counts, names), y_train,
            joined_counts(test.layer_counts, names), classes, vote, fallback_class(prep), g)
        out[option] = float(np.mean(pred == y_test))
    out["all"] = out["all_per_layer" if layer_vote == "per_layer" else "all_pooled"]
    return out


def feature_name(cfg: ExperimentConfig) -> str:
    """Short name of a config's input features: ``mfcc``, ``mel``, ``dvs-v2e``, ``mfcc+dvs-v2e``,
    ``mfcc+au`` (real facial action units)."""
    vis = "au" if cfg.visual.source == "au" else f"dvs-{cfg.visual.dvs_method}"
    mods = modalities(cfg.train.modality)
    return "+".join(cfg.audio.kind if m == "audio" else vis for m in mods)


def synaptic_ops(comp: Composition, inputs: dict, res, enc) -> dict:
    """Synaptic events per sample of the presentations ``res`` of ``inputs``.

    ``inputs`` are the presented rows (modality -> (n, n_inputs)); ``res`` the
    :class:`~stdp_emo.simulate.PresentResult` of presenting them to the frozen network;
    ``enc`` as configured (its frozen presentation time applies).

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
    enc = phase_encoding(enc, learning=False)
    ops = 0.0
    for p in comp.projections:
        fan_out = np.bincount(p.pre, minlength=int(p.pre.max()) + 1 if p.pre.size else 0)
        if p.source.endswith("_input"):
            m = p.source[: -len("_input")]
            x = expected_spikes_per_input(inputs[m], enc.max_rate_hz, enc.present_ms,
                                          comp.input(m).segments)
            ops += float((x[:, : fan_out.size] * fan_out[None, : x.shape[1]]).sum(axis=1).mean())
        else:
            c = res.layer_counts[p.source[: -len("_exc")]]
            ops += float((c[:, : fan_out.size] * fan_out[None, : c.shape[1]]).sum(axis=1).mean())
    for layer in comp.layers:
        spikes = res.layer_counts[layer.name].sum(axis=1).mean()
        pool_size = np.bincount(layer.pools).max()
        ops += float(spikes) * (1 + (pool_size - 1))
    return {"synaptic_ops_per_sample": ops, "n_synapses": int(comp.n_synapses)}


def evaluate_model(model, root: str | None = None, *, progress: bool = True,
                   runs_home: Path | None = None, workers: int | None = None,
                   client=None) -> dict:
    """Re-run the frozen test presentations of a model (or its directory) on its stored test split.

    ``workers`` / ``client`` shard the presentations over processes or a Dask
    cluster; the result equals the single-process one.
    """
    model = as_model(model)
    cfg = model.data_config(root)
    record = RunRecord(cfg.data.dataset, "evaluate", home=runs_home)
    try:
        record.write_text("config.toml", to_toml(cfg))
        cfg, prep = prepare_for_model(model, root, progress)
        ev = evaluate_frozen(cfg, prep, model.state, progress=progress,
                             assignments=model.assignments, weights=model.vote_weights,
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


def record_sample(model, sample_id: str, root: str | None = None,
                  trace_neurons: int = 0) -> dict:
    """Present one sample to a trained model (or its directory) and record every group's spikes.

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
    from .network.rng import sample_streams
    from .simulate import CompiledNetwork

    model = as_model(model)
    split_ids = (model.split.train_ids, model.split.test_ids)
    if sample_id in split_ids[1]:
        phase, pos, which = PHASE_TEST, split_ids[1].index(sample_id), "test"
    elif sample_id in split_ids[0]:
        phase, pos, which = PHASE_LABEL, split_ids[0].index(sample_id), "train"
    else:
        raise DataError(f"{model.path}: sample '{sample_id}' is in neither split of this model "
                        f"(e.g. '{split_ids[1][0]}')")
    cfg, prep = prepare_for_model(model, root, progress=False, sample_ids=[sample_id])
    comp = prep.composition
    state = model.state
    enc = phase_encoding(cfg.encoding, learning=False)
    with CompiledNetwork(comp, cfg.network, enc, learning=False, chunk_size=1,
                         record_all=True) as net:
        # replay the presentation as `present` made it, retries at higher intensity included
        for retry in range(enc.max_retries + 1):
            streams = sample_streams(cfg.train.seed, phase, stream_ids([pos], [retry]))
            rates = {m: input_rates_hz(x[:1], enc, retry) for m, x in prep.inputs.items()}
            spikes = net.record(rates, streams, state)
            exc_i, exc_t = spikes[comp.readout]
            if np.sum(exc_t < net.count_ms) >= enc.min_spikes:
                break
        traces = None
        if trace_neurons:
            counts = np.bincount(exc_i, minlength=comp.layer(comp.readout).n_neurons)
            chosen = np.sort(np.argsort(-counts, kind="stable")[:trace_neurons])
            traces = net.traces(comp.readout, chosen)
    assignments = model.assignments
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
    layer_counts = {}
    for name in comp.vote_layers:
        i, t = spikes[name]
        layer_counts[name] = np.bincount(i[t < net.count_ms],
                                         minlength=comp.layer(name).n_neurons)[None, :]
    counts = comp.voting_counts(layer_counts)
    classes = list(model.classes)
    pred = evaluation.predict(counts, assignments, len(classes), weights=model.vote_weights,
                              fallback=model.fallback_class)[0]
    multimodal = len(comp.inputs) > 1
    return {"groups": groups, "retries": retry,
            "assignments": {names[name]: assignments[comp.vote_slice(name)]
                            for name in comp.vote_layers}, "classes": classes,
            "true": classes[prep.dataset.clips[0].label], "predicted": classes[int(pred)],
            "sample_id": sample_id, "split": which, "present_ms": enc.present_ms,
            "rest_ms": enc.rest_ms, "visual_lead_ms": cfg.network.visual_lead_ms if multimodal else None,
            "traces": traces}


def record_rasters(run_dir: str | Path, n: int, model=None) -> tuple[list, str | None]:
    """Record ``ceil(n / 2)`` correctly and ``n // 2`` wrongly classified test samples of a run.

    Samples are picked from the run's ``predictions.json`` by
    :func:`~stdp_emo.evaluation.pick_raster_samples` and replayed through ``model``
    (default: the run's model) with :func:`record_sample`.

    Returns
    -------
    recordings : list of (dict, bool)
        Each recording and whether the sample was classified correctly.
    note : str or None
        Why fewer than asked for were recorded (no model, no predictions, a sample
        that could not be recorded, e.g. its data are not on this machine).
    """
    from .errors import StdpEmoError
    from .records import find_model_dir, read_json

    run_dir = Path(run_dir)
    if n <= 0:
        return [], None
    if model is None:
        mdir = find_model_dir(run_dir, read_json(run_dir / "metrics.json", required=False))
        try:
            model = as_model(mdir) if mdir is not None else None
        except DataError:
            model = None
        if model is None:
            return [], "No readable model for this run: no spike rasters recorded."
    model = as_model(model)
    predictions = read_json(run_dir / "predictions.json", required=False) or {}
    ids = predictions.get("test_ids")
    if not ids:
        return [], "predictions.json not found: no spike rasters recorded."
    picks = evaluation.pick_raster_samples(ids, predictions.get("y_true", []),
                                           predictions.get("y_pred", []), n)
    out = []
    for sid, ok in picks:
        try:
            out.append((record_sample(model, sid), ok))
        except (StdpEmoError, OSError, RuntimeError) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            return out, f"Raster of {sid} could not be recorded: {msg}"
    return out, None
