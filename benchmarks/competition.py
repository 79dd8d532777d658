"""Where the audio layer loses accuracy: its spiking competition against an ideal winner-take-all.

On validation data only (``[data] holdout = "validation"``; this is a tool for
choosing designs, it never reads the test split), for the default audio network
(or ``--config`` / ``--set``) on ``../shared/data/ravdess``:

1. the imprinted network *before any learning* (epoch 0), or a trained model
   (``--model``), is presented, frozen, the training part (labelling) and the
   validation part (test), and scored by the unsupervised votes on

   * all spikes of the counting window (what training and evaluation use),
   * only the first ``K`` spikes of each sample (``--first-k``; K = 1 is the
     first neuron to reach its threshold),
   * only the spikes of the first ``W`` ms (``--first-ms``);

2. an **ideal hard winner-take-all** over the *same* weights: the winner of a
   sample is ``argmax_j  x . w_j`` on the expected input values ``x`` (no
   Poisson noise, no membrane dynamics); every neuron is labelled by the classes
   of the training clips it wins, and a validation clip gets its winner's label;

3. for reference, 1-NN (cosine) on the same input values (no network).

Every figure is unsupervised except where marked SUPERVISED (none here: the
labels are used only to name neurons, as the network's own labelling does).
Writes ``benchmarks/results/competition_<split>.json`` (or ``--out``).

Usage::

    python benchmarks/competition.py [--split random|speaker] [--seeds 0 1]
        [--set SECTION.KEY=VALUE ...] [--model MODEL_DIR] [--out FILE.json]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _common import REPO, apply_overrides, machine_info, write_result  # noqa: E402

DEFAULT_ROOT = REPO.parent / "shared" / "data" / "ravdess"


def early_counts(i: np.ndarray, t_ms: np.ndarray, n_samples: int, n_neurons: int, *,
                 sample_ms: float, count_ms: float, dt_ms: float,
                 first_k: list[int], first_ms: list[float]) -> dict[str, np.ndarray]:
    """Spike counts per sample and neuron: all of the counting window, first K, first W ms.

    Parameters
    ----------
    i, t_ms : ndarray
        Neuron index and time (ms, from the run's start) of every spike.
    sample_ms, count_ms, dt_ms : float
        Sample length, counting window from each sample start, time step.

    Returns
    -------
    dict ``{"all" | "first_<K>" | "first_<W>ms": ndarray of int64, shape (n_samples, n_neurons)}``.
    Spikes of the same step are ordered by neuron index (ties of the first spike).
    """
    step = np.rint(np.asarray(t_ms, float) / dt_ms).astype(np.int64)
    per = int(round(sample_ms / dt_ms))
    s = step // per
    rel = step - s * per
    keep = (rel < int(np.ceil(count_ms / dt_ms - 1e-9))) & (s < n_samples)
    i, s, rel = np.asarray(i, np.int64)[keep], s[keep], rel[keep]
    order = np.lexsort((i, rel, s))
    i, s, rel = i[order], s[order], rel[order]
    rank = np.arange(s.size) - np.searchsorted(s, s)       # place of the spike in its sample
    masks = {"all": np.ones(s.size, bool)}
    masks.update({f"first_{k}": rank < k for k in first_k})
    masks.update({f"first_{w:g}ms": rel < w / dt_ms for w in first_ms})
    return {name: np.bincount(s[m] * n_neurons + i[m], minlength=n_samples * n_neurons)
            .reshape(n_samples, n_neurons) for name, m in masks.items()}


def ideal_wta(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, w: np.ndarray,
              n_classes: int, fallback: int) -> np.ndarray:
    """Predictions of a hard winner-take-all over the weights ``w`` (n_neurons, n_inputs).

    A neuron is labelled by the most frequent class among the training rows it
    wins; a test row gets its winner's label (``fallback`` if that neuron won none).
    """
    win_train = (x_train @ w.T).argmax(axis=1)
    votes = np.zeros((w.shape[0], n_classes))
    np.add.at(votes, (win_train, y_train), 1)
    label = np.where(votes.sum(axis=1) > 0, votes.argmax(axis=1), fallback)
    return label[(x_test @ w.T).argmax(axis=1)]


def one_nn(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """Cosine 1-nearest-neighbour predictions."""
    a = x_train / np.maximum(np.linalg.norm(x_train, axis=1, keepdims=True), 1e-12)
    b = x_test / np.maximum(np.linalg.norm(x_test, axis=1, keepdims=True), 1e-12)
    return y_train[(b @ a.T).argmax(axis=1)]


def present_frozen(cfg, prep, state, idx: np.ndarray, phase: int, first_k, first_ms) -> dict:
    """Counts (see :func:`early_counts`) of the readout layer for the rows ``idx``, no retries."""
    from stdp_emo.simulate import CompiledNetwork, as_inputs, chunk_inputs

    comp = prep.composition
    feats = as_inputs(comp, prep.inputs)
    layer = comp.readout
    n_neurons = comp.layer(layer).n_neurons
    parts: dict[str, list] = {}
    with CompiledNetwork(comp, cfg.network, cfg.encoding, learning=False,
                         chunk_size=cfg.train.chunk_size) as net:
        k = net.chunk_size
        for c0 in range(0, len(idx), k):
            rows_ = idx[c0:c0 + k]
            rates, streams = chunk_inputs(comp, feats, rows_, np.zeros(len(rows_), np.int64),
                                          cfg.encoding, k, cfg.train.seed, phase)
            i, t_ms = net.record(rates, streams, state)[layer]
            for name, c in early_counts(np.asarray(i), np.asarray(t_ms, float), k, n_neurons,
                                        sample_ms=net.sample_ms, count_ms=net.count_ms,
                                        dt_ms=cfg.encoding.dt_ms, first_k=first_k,
                                        first_ms=first_ms).items():
                parts.setdefault(name, []).append(c[: len(rows_)])
    return {name: np.concatenate(v) for name, v in parts.items()}


def run_one(cfg, args) -> dict:
    from stdp_emo import evaluation as E
    from stdp_emo.encoding import PHASE_LABEL, PHASE_TEST
    from stdp_emo.frozen import fallback_class
    from stdp_emo.network.state import initial_state
    from stdp_emo.preparation import prepare, prepare_for_model, rows

    t0 = time.perf_counter()
    if args.model:
        from stdp_emo.model import as_model

        model = as_model(args.model)
        if model.config.data.holdout != "validation":
            raise SystemExit(f"error: {args.model}: the model was trained with holdout "
                             f"{model.config.data.holdout!r}; this tool reads validation data only")
        cfg, prep = prepare_for_model(model, progress=False)
        state, what = model.state, f"trained model {args.model}"
    else:
        prep = prepare(cfg, progress=False)
        state = initial_state(prep.composition, cfg.network, cfg.train.seed,
                              samples=rows(prep.inputs, prep.train_idx))
        what = "imprinted, before any learning (epoch 0)"
    comp = prep.composition
    if len(comp.inputs) != 1 or len(comp.layers) != 1:
        raise SystemExit("error: this tool analyses one-layer networks (audio-only or visual-only)")
    y = prep.dataset.labels
    y_tr, y_te = y[prep.train_idx], y[prep.test_idx]
    nc = len(prep.dataset.classes)
    fb = fallback_class(prep)
    label = present_frozen(cfg, prep, state, prep.train_idx, PHASE_LABEL, args.first_k, args.first_ms)
    test = present_frozen(cfg, prep, state, prep.test_idx, PHASE_TEST, args.first_k, args.first_ms)
    spiking = {}
    for name in label:
        a = E.assign_labels(label[name], y_tr, nc)
        spiking[name] = {"spikes_per_sample": float(test[name].sum(axis=1).mean()),
                         **{f"accuracy_{v}_vote": float(np.mean(E.predict(
                             test[name], a, nc, fallback=fb,
                             weights=E.vote_weights(label[name], y_tr, a, nc, v)) == y_te))
                            for v in E.VOTES}}
    p = comp.projections[0]
    w = np.zeros((comp.layers[0].n_neurons, comp.inputs[0].n_inputs))
    w[p.post, p.pre] = state.weights[p.name]
    x = np.asarray(prep.inputs[comp.inputs[0].name], float)
    x_tr, x_te = x[prep.train_idx], x[prep.test_idx]
    return {"split": cfg.data.split, "seed": cfg.train.seed, "network": what,
            "n_train": int(len(y_tr)), "n_validation": int(len(y_te)),
            "spiking_layer": spiking,
            "ideal_hard_wta_same_weights": float(np.mean(
                ideal_wta(x_tr, y_tr, x_te, w, nc, fb) == y_te)),
            "one_nn_cosine_inputs": float(np.mean(one_nn(x_tr, y_tr, x_te) == y_te)),
            "wall_s": time.perf_counter() - t0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--split", choices=["random", "speaker"], default="random")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--config", type=Path, default=None)
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    ap.add_argument("--model", type=Path, default=None,
                    help="analyse this trained model (trained with holdout = validation) "
                         "instead of the imprinted network; --seeds, --config, --set are ignored")
    ap.add_argument("--first-k", type=int, nargs="+", default=[1, 5, 20])
    ap.add_argument("--first-ms", type=float, nargs="+", default=[25.0, 100.0])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.root.is_dir():
        print(f"RAVDESS not found at {args.root}; pass --root", file=sys.stderr)
        return 2
    from stdp_emo import config as C
    from stdp_emo.errors import ConfigError

    try:
        base = apply_overrides(C.load(args.config) if args.config else C.ExperimentConfig(), args.set)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    result = {"benchmark": "competition", "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": machine_info(), "root": str(args.root), "holdout": "validation",
              "overrides": args.set, "runs": []}
    for seed in ([None] if args.model else args.seeds):
        cfg = base.replace(data={"dataset": "ravdess", "root": str(args.root), "split": args.split,
                                 "holdout": "validation"},
                           train={"seed": 0 if seed is None else seed, "eval_workers": 1})
        r = run_one(cfg, args)
        result["runs"].append(r)
        write_result(result, f"competition_{args.split}.json", args.out)
        s = r["spiking_layer"]
        print(f"{r['split']} seed {r['seed']} ({r['network']}): ideal hard WTA "
              f"{100 * r['ideal_hard_wta_same_weights']:.1f} %, 1-NN "
              f"{100 * r['one_nn_cosine_inputs']:.1f} %; spiking layer, proportion vote: "
              + ", ".join(f"{name} {100 * v['accuracy_proportion_vote']:.1f} % "
                          f"({v['spikes_per_sample']:.0f} spikes)" for name, v in s.items()),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
