"""Train a network: the whole protocol for one configuration, written as a model and a run record.

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
import platform
import signal
import time
from pathlib import Path

import numpy as np

from . import __version__, evaluation
from .checkpoints import CHECKPOINT, RUN_INFO, keep_trained, load_checkpoint, save_checkpoint
from .config import ExperimentConfig, to_toml
from .datasets.splits import describe_split
from .encoding import expected_input_spikes, phase_encoding
from .errors import WriteError
from .frozen import (accuracy_by_vote_layers, evaluate_frozen, fallback_class, feature_name,
                     score, synaptic_ops)
from .late_fusion import write_counts
from .model import Split, TrainedModel
from .preparation import prepare, rows
from .records import RunRecord

log = logging.getLogger("stdp_emo.training")


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
        ``metrics`` (as written to metrics.json), ``run_dir``, ``model_dir``, ``model``
        (the :class:`~stdp_emo.model.TrainedModel` written there).
    """
    from . import config as config_mod
    from .network.state import initial_state
    from .simulate import CompiledNetwork, present

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
        if prep.config != cfg:      # sizes resolved from the training split: record what runs
            sized = {k: getattr(prep.config.network, k) for k in config_mod.SIZED_PER_CLIP
                     if getattr(cfg.network, k) == 0}
            cfg = prep.config
            record.write_text("config.toml", to_toml(cfg))
            log.info("layers sized for %d training clips: %s", len(prep.train_idx),
                     ", ".join(f"{k} = {v}" for k, v in sized.items()))
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
        frozen_enc = phase_encoding(cfg.encoding, learning=False)
        if frozen_enc != cfg.encoding:
            log.info("presentations: %g ms while learning, %g ms in the frozen phases",
                     cfg.encoding.present_ms, frozen_enc.present_ms)

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
                        cfg.train.seed, ev["weights"], ev["groups"])
        by_layers = accuracy_by_vote_layers(prep, ev["label"], ev["test"], cfg.train.vote,
                                            cfg.train.layer_vote)
        if by_layers is not None:
            results["unsupervised"]["accuracy_by_vote_layers"] = by_layers
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
                x[prep.test_idx], cfg.encoding.max_rate_hz, frozen_enc.present_ms,
                comp.input(m).segments).mean()) for m, x in prep.inputs.items()},
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
        if prep.au_encoder is not None:
            encoding.update(prep.au_encoder.to_arrays())
        model = TrainedModel(
            cfg, {m: t.input_shape for m, t in comp.topologies.items()}, state,
            ev["assignments"], list(prep.dataset.classes),
            Split(split_info["train_ids"], split_info["test_ids"]), vote_weights=ev["weights"],
            encoding=encoding, fallback_class=fallback_class(prep),
            provenance={"dataset": prep.dataset.name, "dataset_root": str(prep.dataset.root),
                        "run_dir": str(record.path),
                        "accuracy": metrics["unsupervised"]["accuracy"],
                        "stdp_emo_version": __version__})
        model.composition = comp            # the network trained (the same as composition_for's)
        try:
            model_dir = model.save(model_name or record.path.name, home=models_home)
        except WriteError as e:
            kept = keep_trained(record.path, cfg, split_info, state, train_stats)
            raise WriteError(f"{e}; the trained network is kept in {kept}: once the folder "
                             f"is writable, write the model with "
                             f"stdp-emo train --resume {kept.parent}") from None
        log.info("model written to %s", model_dir)
        try:
            record.write_json("metrics.json", metrics)
            record.write_json("predictions.json", results["predictions"])
            y = prep.dataset.labels
            write_counts(record.path, ev["label"].layer_counts, ev["test"].layer_counts,
                         split_info["train_ids"], split_info["test_ids"],
                         y[prep.train_idx], y[prep.test_idx])
            record.write_json("model.json", {"model_dir": str(model_dir)})
        except WriteError as e:
            raise WriteError(f"{e}; the model was written to {model_dir}, but its run record "
                             f"{record.path} is incomplete") from None
        ckpt_path.unlink(missing_ok=True)
        return {"metrics": metrics, "run_dir": record.path, "model_dir": model_dir, "model": model}
    except BaseException as e:
        record.fail(e)
        raise
    finally:
        record.close()
